"""Fixtures for driving stewardd with the stock mlflow client.

The `steward` fixture (one per session) starts `$STEWARD_BIN_DIR/stewardd` (default
`.build/debug`, relative to the repository root) against a fresh database created on the
test PostgreSQL cluster, with tests/support's `Stewardd` and `TestDatabase`:
  - `STEWARD_TEST_DATABASE_URL` names the cluster's database to connect to for
    CREATE DATABASE. Without it, `scripts/pg.sh start --test` is run (when the cluster is
    down) and postgresql://steward@127.0.0.1:54339/steward is used.
  - A uniquely named database is created for the session and dropped at the end.
  - STEWARD_HTTP_PORT is a free loopback port, STEWARD_ARTIFACT_ROOT is a temporary directory,
    and STEWARD_BOOTSTRAP_TOKEN is a random admin token (no other STEWARD_* variable of the
    caller reaches it). The mlflow client sends that token as MLFLOW_TRACKING_TOKEN.
The fixture waits for `GET /ready` == 200 and fails with stewardd's stderr if the process
exits first. At teardown it sends SIGTERM and expects a prompt exit.

Development switch: `STEWARD_TEST_AGAINST_MLFLOW=http://host:port` runs the same suite against
MLflow's own tracking server, started with `--serve-artifacts`, to check the suite itself. In
that mode no stewardd or PostgreSQL is touched. `STEWARD_TEST_TOKEN` gives the token to send
(default "secret"). `STEWARD_TEST_ARTIFACT_ROOT` may name the server's artifact directory,
which lets the checks that look at the disk run there too. Tests that check behaviour MLflow
does not have (authentication, NUL in paths) are skipped in that mode.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# tests/support (stewardd, test databases, HTTP) and training/ (the one Python definition of
# the text features, steward_training.features) are imported by this suite.
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "training"))

from support import Stewardd, TestDatabase, http, probe  # noqa: E402


@dataclass(frozen=True)
class Server:
    url: str                      # base URL, no trailing slash
    token: str                    # bearer token (admin)
    artifact_root: Path | None    # where the server keeps artifact bytes, when known
    is_mlflow: bool               # True when running against MLflow's own server


@pytest.fixture(scope="session")
def test_database():
    """The URL of a fresh, uniquely named database on the test cluster; dropped at the end."""
    database = TestDatabase(prefix="steward_registry_test")
    try:
        yield database.url
    finally:
        database.drop()


def _mlflow_client_environment(server: Server) -> dict[str, str]:
    return {
        "MLFLOW_TRACKING_URI": server.url,
        "MLFLOW_TRACKING_TOKEN": server.token,
        # A 5xx must fail at once instead of being retried for minutes with backoff.
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        "MLFLOW_HTTP_REQUEST_TIMEOUT": "60",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
    }


@pytest.fixture(scope="session")
def steward(request, tmp_path_factory):
    """The server under test, with the mlflow client configured (env and tracking URI) for it."""
    against = os.environ.get("STEWARD_TEST_AGAINST_MLFLOW")
    if against:
        root = os.environ.get("STEWARD_TEST_ARTIFACT_ROOT")
        server = Server(url=against.rstrip("/"), token=os.environ.get("STEWARD_TEST_TOKEN", "secret"),
                        artifact_root=Path(root) if root else None, is_mlflow=True)
        if probe(server.url + "/health") != 200:
            pytest.fail(f"STEWARD_TEST_AGAINST_MLFLOW={against}: GET /health did not answer 200", pytrace=False)
        yield from _with_client_environment(server)
        return
    database_url = request.getfixturevalue("test_database")
    stewardd = Stewardd(database_url, tmp_path_factory.mktemp("stewardd")).start()
    server = Server(url=stewardd.url, token=stewardd.token, artifact_root=stewardd.artifact_root, is_mlflow=False)
    try:
        yield from _with_client_environment(server)
    finally:
        stewardd.stop()  # it must still be running, and exit promptly on SIGTERM


@pytest.fixture
def steward_only(steward):
    """For checks of behaviour that MLflow's own server does not have (auth, stricter paths)."""
    if steward.is_mlflow:
        pytest.skip("checks Steward-specific behaviour that MLflow's server does not implement")
    return steward


def _with_client_environment(server: Server):
    saved = {k: os.environ.get(k) for k in _mlflow_client_environment(server)}
    os.environ.update(_mlflow_client_environment(server))
    import mlflow
    mlflow.set_tracking_uri(server.url)
    try:
        yield server
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class RawAPI:
    """Plain HTTP against the MLflow endpoints, bypassing the mlflow client's own validation."""

    def __init__(self, server: Server, token: str | None = None):
        import requests

        self.server = server
        self.token = token
        self.session = requests.Session()
        if token is not None:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, endpoint: str, **params):
        return self.session.get(self.server.url + endpoint, params=params, timeout=60)

    def post(self, endpoint: str, body):
        return self.session.post(self.server.url + endpoint, json=body, timeout=60)

    def send(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        """Sends `path` byte for byte (requests/urllib3 would remove `..` segments before sending).
        Returns (status, body bytes)."""
        response = http(method, self.server.url + path, body, token=self.token, headers=headers, timeout=60)
        return response.status, response.body


@pytest.fixture(scope="session")
def api(steward) -> RawAPI:
    return RawAPI(steward, steward.token)


@pytest.fixture(scope="session")
def client(steward):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=steward.url)


@pytest.fixture(scope="session")
def api_with_token(steward):
    """Raw HTTP with another token, or none (None)."""
    return lambda token: RawAPI(steward, token)
