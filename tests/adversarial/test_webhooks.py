"""Signed webhooks through a Postgres outbox: at least once, across a SIGKILL.

Expected: a subscription's secret is shown once and never listed; every delivery carries an
HMAC-SHA256 signature of its exact body that the receiver can check, and an event id; stewardd
killed with SIGKILL after a promotion but before its delivery delivers it after a restart:
exactly the events that happened, each at least once, de-duplicable by event id; bad
subscriptions (URL, kind, name) and non-admins are refused and write nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from support import new_token
from support.checks import assert_refused


class Receiver:
    """A webhook receiver on loopback: answers `status` (503 while 'down'), keeps what it got."""

    def __init__(self) -> None:
        self.status = 503
        self.received: list[tuple[dict, bytes]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                owner.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(owner.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _wait(what: str, condition, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)  # polling interval


def _events(server, name: str) -> list[dict]:
    answer = server.get(f"/api/v1/webhooks/{name}/deliveries?limit=1000")
    assert answer.status == 200, answer
    return answer.json()["items"]


def test_a_promotion_survives_a_sigkill_before_its_delivery(make_stewardd, receiver):
    server = make_stewardd()
    created = server.post("/api/v1/webhooks", {"name": "ops", "url": receiver.url,
                                               "events": ["model_version.created", "model_version.stage_changed",
                                                          "alias.moved"]})
    assert created.status == 201, created
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    assert "secret" not in json.dumps(server.get("/api/v1/webhooks").json())

    # The receiver is down (503) while the model is registered and promoted.
    assert server.post("/api/v1/models", {"name": "hooked"}).status == 201
    version = server.post("/api/2.0/mlflow/model-versions/create", {"name": "hooked", "source": "s3://elsewhere/m"})
    assert version.status == 200, version
    promoted = server.put("/api/v1/models/hooked/aliases/champion", {"version": 1, "promote": True})
    assert promoted.status == 200, promoted
    happened = {d["event_id"]: d["kind"] for d in _events(server, "ops")}
    assert sorted(happened.values()) == ["alias.moved", "model_version.created", "model_version.stage_changed"]
    _wait("a failed attempt", lambda: len(receiver.received) >= 1)
    server.kill()  # SIGKILL: nothing delivered yet

    receiver.status = 200
    server.restart()
    _wait("every event delivered", lambda: {h.get("x-steward-event-id") for h, _ in receiver.received
                                            if receiver.status == 200} >= set(happened)
          and all(d.get("delivered_at") for d in _events(server, "ops")))
    seen: dict[str, dict] = {}
    for headers, body in receiver.received:
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert headers["x-steward-signature"] == expected
        event = json.loads(body)
        assert event["event_id"] == headers["x-steward-event-id"] and event["kind"] == headers["x-steward-event"]
        seen[event["event_id"]] = event
    assert {k: e["kind"] for k, e in seen.items()} == happened  # exactly what happened, each at least once
    stage = next(e for e in seen.values() if e["kind"] == "model_version.stage_changed")
    assert (stage["model"], stage["version"], stage["stage"]) == ("hooked", 1, "Production")


def test_a_test_event_reaches_only_its_subscription(make_stewardd, receiver):
    server = make_stewardd()
    receiver.status = 200
    for name in ("first", "second"):
        assert server.post("/api/v1/webhooks", {"name": name, "url": receiver.url}).status == 201
    tested = server.post("/api/v1/webhooks/first/test", {})
    assert tested.status == 202, tested
    event_id = tested.json()["event_id"]
    _wait("the test event", lambda: any(h.get("x-steward-event-id") == event_id for h, _ in receiver.received))
    assert [d["kind"] for d in _events(server, "first")] == ["webhook.test"]
    assert _events(server, "second") == []


@pytest.mark.parametrize("body", [
    {"name": "x", "url": "ftp://example.invalid/hook"},
    {"name": "x", "url": "http:///nohost"},
    {"name": "x", "url": "http://127.0.0.1/" + "a" * 3000},
    {"name": "x", "url": "http://127.0.0.1/hook", "events": ["model.exploded"]},
    {"name": "bad name!", "url": "http://127.0.0.1/hook"},
    {"name": "x"},
    {"url": "http://127.0.0.1/hook"},
    {"name": "x", "url": "http://127.0.0.1/hook", "events": "alert.firing"},
])
def test_bad_subscriptions_are_refused_and_write_nothing(steward, body):
    before = steward.get("/api/v1/webhooks").json()["items"]
    assert_refused(steward.post("/api/v1/webhooks", body), (400,), shape="native", what=str(body))
    assert steward.get("/api/v1/webhooks").json()["items"] == before


def test_only_admins_manage_webhooks(steward, operator):
    assert_refused(steward.post("/api/v1/webhooks", {"name": "op", "url": "http://127.0.0.1/h"}, token=operator),
                   (403,), shape="native")
    assert_refused(steward.get("/api/v1/webhooks", token=operator), (403,), shape="native")
    assert steward.post("/api/v1/webhooks", {"name": "dup", "url": "http://127.0.0.1/h"}).status == 201
    assert_refused(steward.post("/api/v1/webhooks", {"name": "dup", "url": "http://127.0.0.1/h"}), (409,),
                   shape="native")
    assert steward.delete("/api/v1/webhooks/dup").status == 204
    assert_refused(steward.delete("/api/v1/webhooks/dup"), (404,), shape="native")
