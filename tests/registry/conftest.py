"""Fixtures for driving stewardd with the stock mlflow client.

The `steward` fixture (one per session) starts `$STEWARD_BIN_DIR/stewardd` (default
`.build/debug`, relative to the repository root) against a fresh database created on the
test PostgreSQL cluster:
  - `STEWARD_TEST_DATABASE_URL` names the cluster's database to connect to for
    CREATE DATABASE. Without it, `scripts/pg.sh start --test` is run and
    postgresql://steward@127.0.0.1:54339/steward is used.
  - A uniquely named database is created for the session and dropped at the end.
  - STEWARD_HTTP_PORT is a free loopback port, STEWARD_ARTIFACT_ROOT is a temporary directory,
    and STEWARD_BOOTSTRAP_TOKEN is a random admin token. The mlflow client sends that token
    as MLFLOW_TRACKING_TOKEN.
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
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TEST_DATABASE_URL = "postgresql://steward@127.0.0.1:54339/steward"
READY_DEADLINE_S = 60.0
STOP_DEADLINE_S = 15.0


@dataclass(frozen=True)
class Server:
    url: str                      # base URL, no trailing slash
    token: str                    # bearer token (admin)
    artifact_root: Path | None    # where the server keeps artifact bytes, when known
    is_mlflow: bool               # True when running against MLflow's own server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url_with_name(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _admin_database_url() -> str:
    url = os.environ.get("STEWARD_TEST_DATABASE_URL")
    if url:
        return url
    result = subprocess.run([str(ROOT / "scripts" / "pg.sh"), "start", "--test"],
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        pytest.fail("scripts/pg.sh start --test failed:\n" + result.stdout + result.stderr, pytrace=False)
    return DEFAULT_TEST_DATABASE_URL


@pytest.fixture(scope="session")
def test_database():
    """A fresh, uniquely named database on the test cluster; dropped at the end."""
    import psycopg2

    admin_url = _admin_database_url()
    name = "steward_registry_test_" + secrets.token_hex(6)
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        yield _database_url_with_name(admin_url, name)
    finally:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


def _get_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, ConnectionError, socket.timeout, OSError):
        return None


def _start_stewardd(database_url: str, tmp: Path):
    bin_dir = Path(os.environ.get("STEWARD_BIN_DIR", ".build/debug"))
    if not bin_dir.is_absolute():
        bin_dir = ROOT / bin_dir
    binary = bin_dir / "stewardd"
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.fail(f"stewardd not found at {binary} (set STEWARD_BIN_DIR): run `swift build` first",
                    pytrace=False)
    port = _free_port()
    token = "stw_" + secrets.token_hex(24)
    artifact_root = tmp / "artifacts"
    artifact_root.mkdir()
    env = dict(os.environ)
    env.update({
        "STEWARD_DATABASE_URL": database_url,
        "STEWARD_HTTP_HOST": "127.0.0.1",
        "STEWARD_HTTP_PORT": str(port),
        "STEWARD_ARTIFACT_ROOT": str(artifact_root),
        "STEWARD_BOOTSTRAP_TOKEN": token,
    })
    stderr_path = tmp / "stewardd.stderr"
    stdout_path = tmp / "stewardd.stdout"
    with open(stderr_path, "wb") as err, open(stdout_path, "wb") as out:
        process = subprocess.Popen([str(binary)], env=env, stdout=out, stderr=err,
                                   stdin=subprocess.DEVNULL, cwd=str(tmp))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_DEADLINE_S
    while True:
        code = process.poll()
        if code is not None:
            pytest.fail(f"stewardd exited with status {code} before /ready; stderr:\n"
                        + stderr_path.read_text(errors="replace")[-8000:], pytrace=False)
        if _get_status(url + "/ready") == 200:
            break
        if time.monotonic() > deadline:
            process.kill()
            process.wait()
            pytest.fail(f"stewardd did not answer GET /ready with 200 within {READY_DEADLINE_S:.0f} s; stderr:\n"
                        + stderr_path.read_text(errors="replace")[-8000:], pytrace=False)
        time.sleep(0.05)  # polling interval of the readiness wait, not a synchronisation sleep
    return process, Server(url=url, token=token, artifact_root=artifact_root, is_mlflow=False), stderr_path


def _stop_stewardd(process: subprocess.Popen, stderr_path: Path) -> None:
    if process.poll() is not None:
        raise AssertionError(f"stewardd died during the tests (status {process.returncode}); stderr:\n"
                             + stderr_path.read_text(errors="replace")[-8000:])
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_DEADLINE_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError(f"stewardd did not exit within {STOP_DEADLINE_S:.0f} s of SIGTERM")


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
        if _get_status(server.url + "/health") != 200:
            pytest.fail(f"STEWARD_TEST_AGAINST_MLFLOW={against}: GET /health did not answer 200", pytrace=False)
        yield from _with_client_environment(server)
        return
    database_url = request.getfixturevalue("test_database")
    process, server, stderr_path = _start_stewardd(database_url, tmp_path_factory.mktemp("stewardd"))
    try:
        yield from _with_client_environment(server)
    finally:
        _stop_stewardd(process, stderr_path)


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
        import http.client

        parts = urllib.parse.urlsplit(self.server.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            all_headers = dict(self.session.headers)
            all_headers.update(headers or {})
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()


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
