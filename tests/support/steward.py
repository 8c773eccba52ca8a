"""Driving Steward's binaries from Python tests: databases, clusters, stewardd, HTTP.

Nothing here depends on pytest: failures raise `StewarddError` (an AssertionError, so a
test or fixture that lets it through is reported as a failure with stewardd's stderr).

- `admin_database_url()`: the test cluster's maintenance URL (`STEWARD_TEST_DATABASE_URL`,
  else `scripts/pg.sh start --test` and postgresql://steward@127.0.0.1:54339/steward).
- `TestDatabase`: a uniquely named database on that cluster, dropped (WITH FORCE) on close.
- `ScratchCluster`: a private PostgreSQL cluster in a temporary folder (for tests that stop
  and start the server), through `scripts/pg.sh --dir --port` like Tests/TestSupport's
  ScratchCluster; ports 20000-32000, below Linux's ephemeral range.
- `Stewardd`: `$STEWARD_BIN_DIR/stewardd` (default `.build/debug` under the repository root)
  started on a free loopback port, waited for with GET /ready == 200; stop (SIGTERM, and it
  must have been alive), kill (SIGKILL), restart on the same database and artifact root.
- `http()`: one request over http.client, the path sent byte for byte (callers percent-encode
  what is not ASCII); returns `Response(status, headers, body)`.
- `rss_kib(pid)`: resident set size from /proc/PID/status.
"""

from __future__ import annotations

import http.client as httpclient
import json as _json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_SCRIPTS = ROOT / "tests" / "fixtures"        # scripts that make test models and tables
GENERATED_FIXTURES = ROOT / ".steward" / "fixtures"  # what scripts/fixtures.sh made with them
DEFAULT_TEST_DATABASE_URL = "postgresql://steward@127.0.0.1:54339/steward"
READY_DEADLINE_S = 60.0
STOP_DEADLINE_S = 15.0


class StewarddError(AssertionError):
    """A Steward process or its environment did not behave as the harness needs."""


# ---------------------------------------------------------------------------------------------
# small things

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition: Callable[[], Any], deadline_s: float, *, interval_s: float = 0.05,
               message: str = "condition") -> Any:
    """Polls `condition` until it returns a truthy value (returned) or the deadline passes."""
    end = time.monotonic() + deadline_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise StewarddError(f"{message}: not reached within {deadline_s:.1f} s")
        time.sleep(interval_s)  # polling interval, not a synchronisation sleep


def rss_kib(pid: int) -> int:
    """VmRSS of a live process in KiB."""
    with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise StewarddError(f"no VmRSS for pid {pid}")


def bin_dir() -> Path:
    path = Path(os.environ.get("STEWARD_BIN_DIR", ".build/debug"))
    return path if path.is_absolute() else ROOT / path


def binary(name: str) -> Path:
    path = bin_dir() / name
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise StewarddError(f"{name} not found at {path} (set STEWARD_BIN_DIR, or run `swift build`)")
    return path


# ---------------------------------------------------------------------------------------------
# HTTP

@dataclass
class Response:
    status: int
    headers: dict[str, str]      # lower-case names
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return _json.loads(self.body)

    def json_or_none(self) -> Any:
        try:
            return _json.loads(self.body)
        except ValueError:
            return None

    def __repr__(self) -> str:
        shown = self.text if len(self.body) <= 300 else self.text[:300] + f"... ({len(self.body)} bytes)"
        return f"<Response {self.status} {shown!r}>"


def http(method: str, url: str, body: Any = None, *, token: str | None = None,
         headers: Mapping[str, str] | None = None, timeout: float = 30.0,
         content_type: str | None = None) -> Response:
    """One request on a fresh connection. `body`: None, bytes, str (UTF-8) or a JSON value.
    The URL's path and query are sent as given (http.client refuses spaces, control
    characters and non-ASCII there: percent-encode them)."""
    parts = urllib.parse.urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    if body is None:
        data = None
    elif isinstance(body, (bytes, bytearray, memoryview)):
        data = bytes(body)
    elif isinstance(body, str):
        data = body.encode("utf-8")
    else:
        data = _json.dumps(body).encode("utf-8")
        content_type = content_type or "application/json"
    all_headers = {}
    if content_type:
        all_headers["Content-Type"] = content_type
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    all_headers.update(headers or {})
    conn = httpclient.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        try:
            conn.request(method, target, body=data, headers=all_headers)
        except (BrokenPipeError, ConnectionResetError):
            # The server answered (a 413, say) and closed before the whole body was sent:
            # its answer is still there to read.
            pass
        response = conn.getresponse()
        payload = response.read()
        return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, payload)
    finally:
        conn.close()


def probe(url: str, timeout: float = 2.0) -> int | None:
    """Status of GET url, or None when nothing answers."""
    try:
        return http("GET", url, timeout=timeout).status
    except (OSError, httpclient.HTTPException):
        return None


# ---------------------------------------------------------------------------------------------
# PostgreSQL

def _url_with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _reachable(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=1):
            return True
    except OSError:
        return False


def admin_database_url() -> str:
    """The test cluster (started with scripts/pg.sh when it is down and no URL is given)."""
    url = os.environ.get("STEWARD_TEST_DATABASE_URL")
    if url:
        return url
    if not _reachable(DEFAULT_TEST_DATABASE_URL):
        result = subprocess.run(["bash", str(ROOT / "scripts" / "pg.sh"), "start", "--test"],
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise StewarddError("scripts/pg.sh start --test failed:\n" + result.stdout + result.stderr)
    return DEFAULT_TEST_DATABASE_URL


class TestDatabase:
    """A uniquely named database on a cluster; `url` connects to it; `drop()` removes it."""

    __test__ = False  # not a pytest test class

    def __init__(self, admin_url: str | None = None, prefix: str = "steward_test"):
        import psycopg2

        self.admin_url = admin_url or admin_database_url()
        self.name = f"{prefix}_{secrets.token_hex(6)}"
        conn = psycopg2.connect(self.admin_url)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{self.name}"')
        finally:
            conn.close()
        self.url = _url_with_database(self.admin_url, self.name)

    def connect(self):
        import psycopg2

        conn = psycopg2.connect(self.url)
        conn.autocommit = True
        return conn

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params or None)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def drop(self) -> None:
        import psycopg2

        conn = psycopg2.connect(self.admin_url)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            conn.close()

    def __enter__(self) -> "TestDatabase":
        return self

    def __exit__(self, *exc) -> None:
        self.drop()


class ScratchCluster:
    """A private PostgreSQL cluster (scripts/pg.sh --dir --port) that a test may stop and start.
    Its folder is under /tmp directly: as root, pg.sh runs the server as the postgres user,
    which must be able to reach it."""

    def __init__(self):
        self.directory = Path(tempfile.mkdtemp(prefix="steward-pg-", dir="/tmp"))
        os.chmod(self.directory, 0o755)
        self.port = 0
        last = ""
        for _ in range(5):
            self.port = secrets.choice(range(20000, 32001))
            result = self._pg("start", check=False)
            if result.returncode == 0:
                break
            last = result.stdout + result.stderr
        else:
            self.destroy()
            raise StewarddError("could not start a scratch PostgreSQL cluster:\n" + last)

    @property
    def url(self) -> str:
        return f"postgresql://steward@127.0.0.1:{self.port}/steward"

    def _pg(self, command: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(["bash", str(ROOT / "scripts" / "pg.sh"), command,
                                 "--dir", str(self.directory), "--port", str(self.port)],
                                capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise StewarddError(f"pg.sh {command} failed:\n{result.stdout}{result.stderr}")
        return result

    def start(self) -> None:
        self._pg("start")

    def stop(self) -> None:
        """`pg_ctl stop -m fast`: open connections are closed by the server."""
        self._pg("stop")

    def destroy(self) -> None:
        self._pg("stop", check=False)
        shutil.rmtree(self.directory, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# stewardd

@dataclass(eq=False)
class Stewardd:
    """One stewardd. `start()` returns once GET /ready answers 200; `env` adds or overrides
    variables (a None value removes one). Restarts reuse the database and artifact root."""

    database_url: str
    workdir: Path
    token: str = field(default_factory=lambda: "stw_" + secrets.token_hex(24))
    artifact_root: Path | None = None
    env: dict[str, str | None] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen | None = None
    starts: int = 0

    def __post_init__(self) -> None:
        self.workdir = Path(self.workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.artifact_root is None:
            self.artifact_root = self.workdir / "artifacts"
        self.artifact_root.mkdir(parents=True, exist_ok=True)
        self.stderr_path = self.workdir / "stewardd.stderr"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
        env.update({
            "STEWARD_DATABASE_URL": self.database_url,
            "STEWARD_HTTP_HOST": "127.0.0.1",
            "STEWARD_HTTP_PORT": str(self.port),
            "STEWARD_ARTIFACT_ROOT": str(self.artifact_root),
            "STEWARD_BOOTSTRAP_TOKEN": self.token,
        })
        for key, value in self.env.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def start(self, ready_deadline_s: float = READY_DEADLINE_S) -> "Stewardd":
        if self.process is not None and self.process.poll() is None:
            raise StewarddError("stewardd is already running")
        executable = binary("stewardd")
        self.port = free_port()
        self.starts += 1
        with open(self.stderr_path, "ab") as err:
            err.write(f"\n==== start {self.starts} (port {self.port}) ====\n".encode())
            err.flush()
            self.process = subprocess.Popen([str(executable)], env=self.environment(), stdout=err, stderr=err,
                                            stdin=subprocess.DEVNULL, cwd=str(self.workdir))
        try:
            self._wait_ready(ready_deadline_s)
        except BaseException:
            self.kill()
            raise
        return self

    def _wait_ready(self, ready_deadline_s: float) -> None:
        assert self.process is not None
        end = time.monotonic() + ready_deadline_s
        while True:
            code = self.process.poll()
            if code is not None:
                raise StewarddError(f"stewardd exited with status {code} before /ready; stderr:\n{self.stderr_tail()}")
            if probe(self.url + "/ready") == 200:
                return
            if time.monotonic() > end:
                raise StewarddError(f"stewardd did not answer GET /ready with 200 within {ready_deadline_s:.0f} s;"
                                    f" stderr:\n{self.stderr_tail()}")
            time.sleep(0.05)  # polling interval of the readiness wait

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stderr_tail(self, chars: int = 6000) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def assert_alive(self) -> None:
        if not self.alive():
            code = self.process.returncode if self.process else None
            raise StewarddError(f"stewardd is not running (exit status {code}); stderr:\n{self.stderr_tail()}")

    def stop(self, deadline_s: float = STOP_DEADLINE_S) -> int:
        """SIGTERM; it must have been running, and must exit within the deadline."""
        self.assert_alive()
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=deadline_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise StewarddError(f"stewardd did not exit within {deadline_s:.0f} s of SIGTERM")

    def kill(self) -> None:
        """SIGKILL (no-op when it has already exited)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            self.process.wait()

    def restart(self, *, token: str | None = None, env: Mapping[str, str | None] | None = None) -> "Stewardd":
        """Stops it (SIGTERM) when running, then starts it again on the same database and
        artifact root, optionally with another bootstrap token or more environment."""
        if self.alive():
            self.stop()
        if token is not None:
            self.token = token
        if env:
            self.env.update(env)
        return self.start()

    def rss_kib(self) -> int:
        return rss_kib(self.pid)

    def request(self, method: str, path: str, body: Any = None, *, token: str | None | bool = True,
                headers: Mapping[str, str] | None = None, timeout: float = 30.0,
                content_type: str | None = None) -> Response:
        """`token=True` sends the bootstrap (admin) token, False/None none, a string that one."""
        bearer = self.token if token is True else (token or None)
        try:
            return http(method, self.url + path, body, token=bearer, headers=headers, timeout=timeout,
                        content_type=content_type)
        except (OSError, httpclient.HTTPException) as error:
            self.raise_if_died(f"{method} {path[:200]}", error)
            raise

    def raise_if_died(self, what: str, error: BaseException | None = None, grace_s: float = 10.0) -> None:
        """After a failed exchange: when the process is exiting (a crash report takes a moment to
        write), raises StewarddError naming the request and the crash line from stderr."""
        if self.process is None:
            return
        if isinstance(error, TimeoutError):
            grace_s = 0.0  # a slow answer is not a crash sign: only report one that already happened
        try:
            code = self.process.wait(timeout=grace_s) if grace_s > 0 else self.process.poll()
            if code is None:
                return
        except subprocess.TimeoutExpired:
            return
        raise StewarddError(f"stewardd died on {what} (exit status {code}): {self.crash_summary()}") from error

    def crash_summary(self) -> str:
        """The fatal-error lines of the last start's stderr (a Swift trap prints `Fatal error: ...`)."""
        tail = self.stderr_tail(200_000).split(f"==== start {self.starts} ", 1)[-1]
        lines = [line.strip() for line in tail.splitlines()
                 if "Fatal error" in line or "Program crashed" in line or "panic" in line.lower()]
        return " | ".join(lines[:3]) if lines else tail[-800:]

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw) -> Response:
        return self.request("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw) -> Response:
        return self.request("PUT", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw) -> Response:
        return self.request("PATCH", path, body, **kw)

    def delete(self, path: str, body: Any = None, **kw) -> Response:
        return self.request("DELETE", path, body, **kw)

    def ready_status(self, timeout: float = 2.0) -> int | None:
        return probe(self.url + "/ready", timeout)


def new_token(server: Stewardd, role: str, name: str | None = None, admin_token: str | None = None) -> str:
    """Creates an API token with `role` (viewer, operator, admin) and returns its secret."""
    name = name or f"{role}-{secrets.token_hex(4)}"
    response = server.post("/api/v1/tokens", {"name": name, "role": role}, token=admin_token or server.token)
    if response.status != 201 and response.status != 200:
        raise StewarddError(f"POST /api/v1/tokens ({role}) answered {response!r}")
    return response.json()["token"]
