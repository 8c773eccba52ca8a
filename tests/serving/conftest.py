"""Fixtures for the serving checks: the tiny model, tokenizers' Unicode table, servers.

- `tiny_model`: `.steward/fixtures/tiny-model` (scripts/fixtures.sh makes it) when it has
  steward.json, expected.json and hf/, otherwise made in a temporary directory.
- `unicode_table`: `.steward/fixtures/bert_unicode_table.json` or made in a temporary directory.
- `server` (parametrized): the FastAPI baseline (bench/serving/baseline_server.py) and
  steward-serve (`$STEWARD_BIN_DIR/steward-serve`, default .build/debug; skipped when
  missing), each started on a free port with STEWARD_MODEL_PATH=<tiny model>, waited for
  with GET /ready, and stopped with SIGTERM.

Paths, ports and HTTP come from tests/support; tests import them from there, not from here.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support import FIXTURE_SCRIPTS, GENERATED_FIXTURES, ROOT, bin_dir, free_port, probe  # noqa: E402

sys.path.insert(0, str(FIXTURE_SCRIPTS))  # bert_common, bert_reference
PY = sys.executable


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    d = GENERATED_FIXTURES / "tiny-model"
    if all((d / f).is_file() for f in ("steward.json", "expected.json", "hf/config.json")):
        return d
    d = tmp_path_factory.mktemp("fixtures") / "tiny-model"
    subprocess.run([PY, str(FIXTURE_SCRIPTS / "make_tiny_model.py"), "--out", str(d)], check=True, stdout=subprocess.DEVNULL)
    return d


@pytest.fixture(scope="session")
def expected(tiny_model) -> dict:
    return json.loads((tiny_model / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def unicode_table(tmp_path_factory) -> Path:
    f = GENERATED_FIXTURES / "bert_unicode_table.json"
    if f.is_file():
        return f
    f = tmp_path_factory.mktemp("fixtures") / "bert_unicode_table.json"
    subprocess.run([PY, str(FIXTURE_SCRIPTS / "make_unicode_table.py"), "--out", str(f)], check=True,
                   stderr=subprocess.DEVNULL)
    return f


@dataclass
class Server:
    name: str
    url: str
    proc: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def start(name: str, cmd: list[str], env: dict, log: Path, deadline_s: float = 60.0) -> Server:
    port = int(env["STEWARD_SERVE_PORT"])
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
    server = Server(name, f"http://127.0.0.1:{port}", proc, log)
    end = time.time() + deadline_s
    while time.time() < end:
        if proc.poll() is not None:
            pytest.fail(f"{name} exited with {proc.returncode} before it was ready:\n{server.output()}")
        if probe(server.url + "/ready") == 200:
            return server
        time.sleep(0.2)  # polling interval of the readiness wait
    stop(server)
    pytest.fail(f"{name} not ready within {deadline_s:.0f} s:\n{server.output()}")


def stop(server: Server) -> int:
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
        try:
            server.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait()
            pytest.fail(f"{server.name} did not stop within 15 s of SIGTERM")
    return server.proc.returncode


def serve_binary() -> Path | None:
    b = bin_dir() / "steward-serve"
    return b if b.is_file() and os.access(b, os.X_OK) else None


@pytest.fixture(scope="module", params=["baseline", "steward-serve"])
def server(request, tiny_model, tmp_path_factory):
    port = free_port()
    env = {**os.environ, "STEWARD_SERVE_PORT": str(port), "STEWARD_MODEL_PATH": str(tiny_model),
           "STEWARD_MODEL_NAME": "tiny", "STEWARD_MODEL_VERSION": "7", "OMP_NUM_THREADS": "1"}
    env.pop("STEWARD_DATABASE_URL", None)  # no prediction log for these checks
    log = tmp_path_factory.mktemp("logs") / f"{request.param}.log"
    if request.param == "baseline":
        cmd = [PY, str(ROOT / "bench" / "serving" / "baseline_server.py"), "--threads", "1"]
    else:
        binary = serve_binary()
        if binary is None:
            pytest.skip("steward-serve not built ($STEWARD_BIN_DIR or .build/debug)")
        cmd = [str(binary)]
        env.update(STEWARD_INTRA_OP_THREADS="1", STEWARD_SERVE_HOST="127.0.0.1")
    s = start(request.param, cmd, env, log)
    yield s
    stop(s)
