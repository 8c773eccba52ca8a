"""PostgreSQL goes away under a running stewardd, then comes back.

stewardd runs on a private cluster (support.ScratchCluster) that the test stops with
`pg_ctl stop -m fast`. While it is down every route that needs the database answers 503 with a
Retry-After header — native routes `{"error": {"code": "unavailable", "message": ...database...}}`,
MLflow routes `{"error_code": "TEMPORARILY_UNAVAILABLE", ...}` (MLflow's own server maps
SQLAlchemy's OperationalError to TEMPORARILY_UNAVAILABLE: mlflow/store/db/utils.py,
make_managed_session) — `/ready` answers 503 and `/health` 200. Once the cluster is started
again, the same stewardd (not restarted) serves requests again within a few seconds.
Today these answer 500 "internal error".
"""

from __future__ import annotations

import time

import pytest

from support import ScratchCluster, StewarddError, new_token, probe

RECOVERY_DEADLINE_S = 20.0
ANSWER_DEADLINE_S = 10.0
READY_DEADLINE_S = 10.0

NATIVE = [
    ("GET", "/api/v1/experiments", None),
    ("GET", "/api/v1/runs", None),
    ("GET", "/api/v1/models", None),
    ("GET", "/api/v1/models/m", None),
    ("GET", "/api/v1/datasets", None),
    ("GET", "/api/v1/tokens", None),
    ("GET", "/api/v1/audit", None),
    ("GET", "/api/v1/status", None),
    ("POST", "/api/v1/experiments", {"name": "while-down"}),
    ("POST", "/api/v1/tokens", {"name": "while-down", "role": "viewer"}),
    ("PUT", "/api/v1/models/m/aliases/champion", {"version": 1}),
]
MLFLOW = [
    ("POST", "/api/2.0/mlflow/experiments/search", {"max_results": 10}),
    ("GET", "/api/2.0/mlflow/experiments/get?experiment_id=0", None),
    ("POST", "/api/2.0/mlflow/runs/search", {"experiment_ids": ["0"]}),
    ("POST", "/api/2.0/mlflow/runs/create", {"experiment_id": "0"}),
    ("POST", "/api/2.0/mlflow/runs/log-batch", {"run_id": "0" * 32, "metrics": []}),
    ("GET", "/api/2.0/mlflow/registered-models/search", None),
    ("POST", "/api/2.0/mlflow/registered-models/create", {"name": "while-down"}),
    ("GET", "/api/2.0/mlflow/model-versions/search", None),
]


@pytest.fixture
def cluster():
    c = ScratchCluster()
    yield c
    c.destroy()


def down_problem(server, method, path, body, token, shape) -> str | None:
    try:
        r = server.request(method, path, body, token=token, timeout=ANSWER_DEADLINE_S)
    except StewarddError:
        raise
    except OSError as error:
        return f"no answer within {ANSWER_DEADLINE_S:.0f} s ({type(error).__name__})"
    if r.status != 503:
        return f"{r.status} {r.text[:150]!r}"
    retry_after = r.header("Retry-After")
    if not retry_after or not retry_after.strip().isdigit():
        return f"503 without a Retry-After header of seconds ({retry_after!r})"
    body_json = r.json_or_none() or {}
    if shape == "native":
        error = body_json.get("error") if isinstance(body_json.get("error"), dict) else {}
        if error.get("code") != "unavailable" or "database" not in str(error.get("message", "")).lower():
            return f"native body {r.text[:200]!r}"
    else:
        if body_json.get("error_code") != "TEMPORARILY_UNAVAILABLE" or not body_json.get("message"):
            return f"MLflow body {r.text[:200]!r}"
    return None


def ready_becomes(server, status: int) -> int | None:
    """/ready may answer from a probe taken up to a few seconds ago: poll for `status` with a
    deadline; returns the last status seen."""
    started = time.monotonic()
    seen = probe(server.url + "/ready", timeout=ANSWER_DEADLINE_S)
    while seen != status and time.monotonic() - started < READY_DEADLINE_S:
        time.sleep(0.1)  # polling interval
        seen = probe(server.url + "/ready", timeout=ANSWER_DEADLINE_S)
    return seen


def test_database_down_answers_503_and_recovers_without_restart(cluster, make_stewardd):
    server = make_stewardd(database_url=cluster.url)
    viewer = new_token(server, "viewer")
    for token in (server.token, viewer):  # both tokens work before
        assert server.get("/api/v1/experiments", token=token).status == 200

    cluster.stop()
    problems = []
    for method, path, body in NATIVE:
        token = viewer if method == "GET" and path not in ("/api/v1/tokens", "/api/v1/audit") else server.token
        if (p := down_problem(server, method, path, body, token, "native")):
            problems.append(f"{method} {path}: {p}")
    for method, path, body in MLFLOW:
        if (p := down_problem(server, method, path, body, server.token, "mlflow")):
            problems.append(f"{method} {path}: {p}")
    ready = ready_becomes(server, 503)
    health = probe(server.url + "/health", timeout=ANSWER_DEADLINE_S)
    if ready != 503:
        problems.append(f"GET /ready: {ready} (expected 503 within {READY_DEADLINE_S:.0f} s)")
    if health != 200:
        problems.append(f"GET /health: {health} (expected 200)")
    server.assert_alive()

    cluster.start()
    started = time.monotonic()
    recovered = None
    last = None
    while time.monotonic() - started < RECOVERY_DEADLINE_S:
        try:
            last = server.get("/api/v1/experiments", token=viewer, timeout=ANSWER_DEADLINE_S)
            if last.status == 200 and server.post("/api/2.0/mlflow/runs/create", {"experiment_id": "0"}).status == 200:
                recovered = time.monotonic() - started
                break
        except OSError:
            pass
        time.sleep(0.1)  # polling interval
    print(f"requests succeeded again {recovered:.2f} s after the cluster was started" if recovered is not None
          else f"no recovery within {RECOVERY_DEADLINE_S:.0f} s (last answer {last!r})")
    if recovered is None:
        problems.append(f"still failing {RECOVERY_DEADLINE_S:.0f} s after the database came back: {last!r}")
    assert not problems, f"{len(problems)} problem(s) while the database was down or after: " + \
        problems[0] + "\n  " + "\n  ".join(problems[1:])


def test_ready_follows_the_database_and_health_does_not(cluster, make_stewardd):
    """/health answers 200 whatever the database does; /ready answers 503 while it is down
    (within a few seconds: it may answer from a recent probe) and 200 again once it is back."""
    server = make_stewardd(database_url=cluster.url)
    cluster.stop()
    assert probe(server.url + "/health", timeout=ANSWER_DEADLINE_S) == 200
    assert ready_becomes(server, 503) == 503
    assert probe(server.url + "/health", timeout=ANSWER_DEADLINE_S) == 200
    cluster.start()
    started = time.monotonic()
    assert ready_becomes(server, 200) == 200, f"/ready did not come back within {READY_DEADLINE_S:.0f} s"
    print(f"/ready answered 200 again {time.monotonic() - started:.2f} s after the cluster was started")
