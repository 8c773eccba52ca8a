"""Servers for the benchmarks: stewardd and MLflow's own tracking server on loopback, each on a
fresh database of the test PostgreSQL cluster.

stewardd is started the way tests/registry/conftest.py starts it (same environment variables,
`GET /ready` == 200 before use), without pytest. MLflow's server is started with
`mlflow server --backend-store-uri postgresql+psycopg2://... --serve-artifacts
--artifacts-destination <tmp>`; each server gets its own process group so that stopping it also
stops the processes it forked (uvicorn workers).

Used by bench/registry/run.py and bench/http/run.py.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".steward" / "venv" / "bin"
DEFAULT_TEST_DATABASE_URL = "postgresql://steward@127.0.0.1:54339/steward"


class BenchError(RuntimeError):
    """A setup failure (server did not start, database unreachable): the benchmark cannot run."""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, ConnectionError, socket.timeout, OSError):
        return None


# --------------------------------------------------------------------------- databases

def admin_database_url() -> str:
    """The test cluster's URL ($STEWARD_TEST_DATABASE_URL, else `scripts/pg.sh start --test`)."""
    url = os.environ.get("STEWARD_TEST_DATABASE_URL")
    if url:
        return url
    result = subprocess.run(["bash", str(ROOT / "scripts" / "pg.sh"), "start", "--test"],
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise BenchError("scripts/pg.sh start --test failed:\n" + result.stdout + result.stderr)
    result = subprocess.run(["bash", str(ROOT / "scripts" / "pg.sh"), "url", "--test"],
                            capture_output=True, text=True, timeout=30)
    return result.stdout.strip() or DEFAULT_TEST_DATABASE_URL


def with_database(url: str, name: str, scheme: str | None = None) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((scheme or parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


class Databases:
    """Creates uniquely named databases on the cluster and drops them in close()."""

    def __init__(self, admin_url: str):
        import psycopg2

        self.admin_url = admin_url
        self.conn = psycopg2.connect(admin_url)
        self.conn.autocommit = True
        self.created: list[str] = []

    def exists(self, name: str) -> bool:
        with self.conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            return cur.fetchone() is not None

    def create(self, prefix: str, template: str | None = None) -> str:
        name = f"{prefix}_{secrets.token_hex(4)}"
        with self.conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        self.created.append(name)
        return with_database(self.admin_url, name)

    def close(self) -> None:
        with self.conn.cursor() as cur:
            for name in self.created:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.conn.close()


def mlflow_template(dbs: Databases) -> str:
    """A database with MLflow's schema already migrated (kept on the test cluster between runs,
    one per mlflow version), so that each benchmark's MLflow database is a cheap copy instead of
    ~10-15 s of migrations in the server's start-up."""
    import mlflow

    name = "steward_bench_mlflow_template_" + mlflow.__version__.replace(".", "_")
    if dbs.exists(name):
        return name
    log(f"creating {name} (MLflow's schema; once per mlflow version)")
    building = name + "_building"
    with dbs.conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{building}"')
    url = with_database(dbs.admin_url, building, scheme="postgresql+psycopg2")
    code = (
        "import sys\n"
        "from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore\n"
        "from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistryStore\n"
        "store = SqlAlchemyStore(sys.argv[1], sys.argv[2]); RegistryStore(sys.argv[1]); store.engine.dispose()\n"
    )
    scratch = Path(os.environ.get("TMPDIR", "/tmp")) / ("steward-bench-template-" + secrets.token_hex(4))
    result = subprocess.run([sys.executable, "-c", code, url, str(scratch)], capture_output=True, text=True,
                            timeout=300, env=mlflow_environment())
    shutil.rmtree(scratch, ignore_errors=True)
    if result.returncode != 0:
        raise BenchError("migrating MLflow's schema failed:\n" + result.stderr[-4000:])
    with dbs.conn.cursor() as cur:
        cur.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    return name


# --------------------------------------------------------------------------- processes

@dataclass
class Process:
    name: str
    url: str                       # base URL, no trailing slash
    token: str
    popen: subprocess.Popen
    stderr_path: Path
    extra: dict = field(default_factory=dict)

    def stderr_tail(self, chars: int = 4000) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            raise BenchError(f"{self.name} exited with status {self.popen.returncode}; stderr:\n"
                             + self.stderr_tail())

    def cpu_seconds(self) -> float:
        """User + system CPU time of every live process in the server's process group (Linux /proc);
        the PostgreSQL backends it talks to are not included."""
        return group_cpu_seconds(self.popen.pid)

    def rss_mb(self) -> float:
        """Resident memory of every live process in the server's process group, MB."""
        return group_rss_mb(self.popen.pid)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM to the process group, then SIGKILL after `timeout`."""
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        try:  # children (uvicorn workers) may outlive the leader
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.popen.poll() is None:
            self.popen.wait(timeout=5)


def group_processes(pgid: int):
    """`/proc/PID/stat` fields (from field 3, the state, on) of every live process in process group `pgid`."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[0] is field 3 (state): pgrp is field 5, utime 14, stime 15, rss (pages) 24
        if int(fields[2]) == pgid:
            yield fields


def group_cpu_seconds(pgid: int) -> float:
    return sum(int(f[11]) + int(f[12]) for f in group_processes(pgid)) / os.sysconf("SC_CLK_TCK")


def group_rss_mb(pgid: int) -> float:
    """Resident memory of every live process in process group `pgid`, MB."""
    return sum(int(f[21]) for f in group_processes(pgid)) * os.sysconf("SC_PAGE_SIZE") / 2**20


def wait_ready(process: Process, path: str, deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while True:
        process.check_alive()
        if http_status(process.url + path) == 200:
            return
        if time.monotonic() > deadline:
            process.stop()
            raise BenchError(f"{process.name} did not answer GET {path} with 200 within {deadline_s:.0f} s; "
                             "stderr:\n" + process.stderr_tail())
        time.sleep(0.05)  # readiness polling interval


def stewardd_binary() -> Path:
    bin_dir = Path(os.environ.get("STEWARD_BIN_DIR", ".build/debug"))
    if not bin_dir.is_absolute():
        bin_dir = ROOT / bin_dir
    binary = bin_dir / "stewardd"
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        raise BenchError(f"stewardd not found at {binary} (set STEWARD_BIN_DIR; `swift build` makes it)")
    return binary


def start_stewardd(database_url: str, tmp: Path, ready_deadline_s: float = 60.0) -> Process:
    """Like tests/registry/conftest.py: loopback port, artifact root under tmp, random admin token."""
    binary = stewardd_binary()
    port = free_port()
    token = "stw_" + secrets.token_hex(24)
    artifact_root = tmp / "steward-artifacts"
    artifact_root.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update({
        "STEWARD_DATABASE_URL": database_url,
        "STEWARD_HTTP_HOST": "127.0.0.1",
        "STEWARD_HTTP_PORT": str(port),
        "STEWARD_ARTIFACT_ROOT": str(artifact_root),
        "STEWARD_BOOTSTRAP_TOKEN": token,
    })
    stderr_path = tmp / "stewardd.stderr"
    with open(stderr_path, "wb") as err:
        popen = subprocess.Popen([str(binary)], env=env, stdout=subprocess.DEVNULL, stderr=err,
                                 stdin=subprocess.DEVNULL, cwd=str(tmp), start_new_session=True)
    process = Process("stewardd", f"http://127.0.0.1:{port}", token, popen, stderr_path,
                      {"binary": str(binary)})
    wait_ready(process, "/ready", ready_deadline_s)
    return process


def mlflow_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
        # The server's background job runner (huey consumers for GenAI jobs) is not in the
        # request path; on a small machine its start-up only competes for the CPU.
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    })
    return env


def start_mlflow(database_url: str, tmp: Path, workers: int, ready_deadline_s: float = 180.0) -> Process:
    """`mlflow server` against `database_url` (a postgresql:// URL; psycopg2 is used)."""
    mlflow_cli = VENV_BIN / "mlflow"
    if not mlflow_cli.exists():
        raise BenchError(f"{mlflow_cli} not found (scripts/setup.sh makes .steward/venv)")
    port = free_port()
    artifacts = tmp / "mlflow-artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    # SQLAlchemy 2.1 maps plain postgresql:// to psycopg (3); the venv has psycopg2.
    backend = with_database(database_url, urllib.parse.urlsplit(database_url).path.lstrip("/"),
                            scheme="postgresql+psycopg2")
    stderr_path = tmp / "mlflow-server.stderr"
    command = [str(mlflow_cli), "server", "--backend-store-uri", backend,
               "--serve-artifacts", "--artifacts-destination", str(artifacts),
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with open(stderr_path, "wb") as err:
        popen = subprocess.Popen(command, env=mlflow_environment(), stdout=err, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, cwd=str(tmp), start_new_session=True)
    process = Process("mlflow server", f"http://127.0.0.1:{port}", "unused-by-mlflow", popen, stderr_path,
                      {"workers": workers})
    wait_ready(process, "/health", ready_deadline_s)
    return process
