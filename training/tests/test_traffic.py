"""The demo's traffic replayer against a recording HTTP server: it replays the
source the control file names, posts true labels with the prediction's request id,
pauses on an unknown source and writes its tally when the control file goes away."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from steward_training import traffic


class Recorder(BaseHTTPRequestHandler):
    received: list[tuple[str, dict, str | None]] = []
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 (http.server's spelling)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.lock:
            self.received.append((self.path, body, self.headers.get("Authorization")))
            n = len(self.received)
        answer = {"label": "positive", "model": {"version": "7"}, "request_id": f"r{n}"} if self.path == "/predict" else {"id": n}
        data = json.dumps(answer).encode()
        self.send_response(200 if self.path == "/predict" else 201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.path == "/predict":
            self.send_header("X-Steward-Track", "canary")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_replays_the_named_source_posts_feedback_and_writes_its_tally(tmp_path, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    (tmp_path / "a.csv").write_text('text,label\n"one, with a comma",positive\ntwo,negative\n', encoding="utf-8")
    (tmp_path / "b.csv").write_text("text,label\nshifted,negative\n", encoding="utf-8")
    control, tally = tmp_path / "control", tmp_path / "tally.json"
    control.write_text("a\n", encoding="utf-8")
    monkeypatch.setenv("STEWARD_TOKEN", "stw_secret")
    args = ["--url", base, "--api", base, "--source", f"a={tmp_path / 'a.csv'}", "--source", f"b={tmp_path / 'b.csv'}",
            "--control", str(control), "--tally", str(tally), "--rate", "200", "--threads", "2", "--feedback-share", "1"]
    runner = threading.Thread(target=traffic.main, args=(args,))
    try:
        runner.start()

        def sent(path, text=None):
            with Recorder.lock:
                return [b for p, b, _ in Recorder.received if p == path and (text is None or b.get("text") == text)]

        wait_for(lambda: len(sent("/predict")) >= 10)
        control.write_text("paused\n", encoding="utf-8")
        time.sleep(0.2)
        paused_at = len(sent("/predict"))
        time.sleep(0.3)
        assert len(sent("/predict")) <= paused_at + 2  # at most the requests already in flight
        control.write_text("b\n", encoding="utf-8")
        wait_for(lambda: len(sent("/predict", "shifted")) >= 5)
        control.unlink()
        runner.join(timeout=10)
        assert not runner.is_alive()
    finally:
        server.shutdown()

    texts = {b["text"] for b in sent("/predict")}
    assert texts == {"one, with a comma", "two", "shifted"}
    feedback = sent("/api/v1/feedback")
    assert feedback and all(f["model"] == "sentiment" and f["request_id"].startswith("r") for f in feedback)
    assert {(f["text"], f["label"]) for f in feedback} <= {("one, with a comma", "positive"), ("two", "negative"), ("shifted", "negative")}
    with Recorder.lock:
        auth = {a for p, _, a in Recorder.received if p == "/api/v1/feedback"}
        predict_auth = {a for p, _, a in Recorder.received if p == "/predict"}
    assert auth == {"Bearer stw_secret"} and predict_auth == {None}  # the token goes to stewardd only
    rows = json.loads(tally.read_text(encoding="utf-8"))
    by_source = {r["source"]: r["requests"] for r in rows}
    assert by_source["a"] >= 10 and by_source["b"] >= 5
    assert all(r["track"] == "canary" and r["version"] == "7" and r["status"] == 200 for r in rows)
    assert sum(by_source.values()) == len(sent("/predict"))
