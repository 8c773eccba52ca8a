"""Acceptance for the Registry issue: `/openapi.json` describes the native API truthfully.

- The document is OpenAPI 3, describes at least MIN_PATHS paths, and every operation declares
  at least one 4xx response (the native API's errors are part of its contract).
- `schemathesis run <url>/openapi.json` with the admin bearer token finds no 5xx
  (not_a_server_error), no response that violates its declared schema
  (response_schema_conformance) and no undeclared status code (status_code_conformance), with a
  bounded number of examples per operation so that it finishes in well under 90 s. Operations
  that can revoke tokens run in a second pass: schemathesis reuses names it saw in responses and
  would otherwise revoke its own admin token early, leaving every later operation a hollow 401
  (the test also fails if that happens anyway).

stewardd is started the way conftest.py starts it (its own helpers), but on a database of its
own: schemathesis creates, changes and deletes whatever the document lets it (tokens included),
and none of that may leak into the session's shared server that the mlflow-client suite uses.

Knobs: STEWARD_SCHEMATHESIS (path of the CLI; default .steward/venv-tools/bin/schemathesis),
STEWARD_SCHEMATHESIS_MAX_EXAMPLES (default 10 per operation), STEWARD_SCHEMATHESIS_SEED.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = Path(os.environ.get("STEWARD_SCHEMATHESIS", ROOT / ".steward" / "venv-tools" / "bin" / "schemathesis"))
MAX_EXAMPLES = int(os.environ.get("STEWARD_SCHEMATHESIS_MAX_EXAMPLES", "10"))
SEED = os.environ.get("STEWARD_SCHEMATHESIS_SEED", "20261126")
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance"
SCHEMATHESIS_BUDGET_S = 90
MIN_PATHS = 30  # every native path: registry, orchestrator, rollouts, monitor
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _registry_conftest():
    """tests/registry/conftest.py under a name of its own (every test folder has a conftest.py,
    so `import conftest` would find whichever pytest loaded last)."""
    spec = importlib.util.spec_from_file_location("steward_registry_conftest", Path(__file__).with_name("conftest.py"))
    if spec.name in sys.modules:
        return sys.modules[spec.name]
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def isolated_steward(tmp_path_factory):
    """stewardd on a fresh database of its own (dropped afterwards); yields conftest's Server."""
    if os.environ.get("STEWARD_TEST_AGAINST_MLFLOW"):
        pytest.skip("MLflow's own server has no native API and no /openapi.json")
    import psycopg2

    helpers = _registry_conftest()
    admin_url = helpers._admin_database_url()
    name = "steward_openapi_test_" + secrets.token_hex(6)
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        process, server, stderr_path = helpers._start_stewardd(helpers._database_url_with_name(admin_url, name),
                                                              tmp_path_factory.mktemp("stewardd-openapi"))
        try:
            yield server
        finally:
            helpers._stop_stewardd(process, stderr_path)
    finally:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


@pytest.fixture(scope="module")
def document(isolated_steward) -> dict:
    request = urllib.request.Request(isolated_steward.url + "/openapi.json",
                                     headers={"Authorization": f"Bearer {isolated_steward.token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        content_type = response.headers.get("Content-Type", "")
        body = response.read()
    assert content_type.split(";")[0].strip() == "application/json", content_type
    return json.loads(body)


def operations(document: dict):
    for path, item in (document.get("paths") or {}).items():
        for method, operation in item.items():
            if method.lower() in HTTP_METHODS:
                yield path, method.upper(), operation


def test_document_describes_the_native_api(document):
    assert str(document.get("openapi", "")).startswith("3."), f"not an OpenAPI 3 document: {document.get('openapi')!r}"
    paths = document.get("paths") or {}
    assert len(paths) >= MIN_PATHS, (f"/openapi.json describes {len(paths)} paths, expected at least {MIN_PATHS} "
                                     f"(the native API under /api/v1): {sorted(paths)}")
    native = [p for p in paths if p.startswith("/api/v1") or
              any(str(s.get("url", "")).rstrip("/").endswith("/api/v1") for s in document.get("servers") or [])]
    assert native, f"no path of the native API (/api/v1) is described: {sorted(paths)}"


def test_every_operation_declares_a_4xx_error(document):
    ops = list(operations(document))
    assert ops, "/openapi.json describes no operations"
    missing = []
    for path, method, operation in ops:
        codes = [str(code).upper() for code in (operation.get("responses") or {})]
        if not any(code == "4XX" or (len(code) == 3 and code.startswith("4") and code.isdigit()) for code in codes):
            missing.append(f"{method} {path} (responses: {codes})")
    assert not missing, "operations that declare no 4xx response:\n  " + "\n  ".join(missing)


def lockout_operations(document: dict) -> list[str]:
    """Operations that can revoke the token schemathesis itself uses ("DELETE /api/v1/tokens/{name}":
    schemathesis reuses names it has seen in responses, `bootstrap` included). They run in a second,
    separate pass, after everything else."""
    return [f"{method} {path}" for path, method, _ in operations(document) if method == "DELETE" and "token" in path]


def run_schemathesis(server, cwd: Path, extra: list[str], budget_s: float) -> tuple[int, str, float, str]:
    command = [
        str(SCHEMATHESIS), "--no-color", "run", server.url + "/openapi.json",
        # The document's own base path (servers), on this server's origin.
        "--origin", server.url,
        "-H", f"Authorization: Bearer {server.token}",
        "--checks", CHECKS,
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", SEED,
        "--request-timeout", "10",
        # One worker: with several, hypothesis' lambda descriptions call ast.parse from threads,
        # which CPython 3.11 can fail with "AST constructor recursion depth mismatch".
        "--workers", "1",
        "--generation-database", "none",
        "--output-sanitize", "false",
        *extra,
    ]
    shown = " ".join(shlex.quote(part) for part in command).replace(server.token, "<admin token>")
    started = time.monotonic()
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=budget_s * 2, cwd=cwd,
                                env=dict(os.environ, NO_COLOR="1"))
    except subprocess.TimeoutExpired as error:
        out = error.stdout.decode(errors="replace") if isinstance(error.stdout, bytes) else (error.stdout or "")
        pytest.fail(f"schemathesis ran past {budget_s * 2:.0f} s\n$ {shown}\noutput so far:\n{out[-12000:]}",
                    pytrace=False)
    output = (result.stdout + result.stderr).replace(server.token, "<admin token>")
    return result.returncode, output, time.monotonic() - started, shown


def admin_token_still_works(server, document: dict) -> int | None:
    """Status of an authenticated GET (an operation without path parameters) with the admin token."""
    for path, method, _ in operations(document):
        if method == "GET" and "{" not in path:
            base = next((s.get("url", "") for s in document.get("servers") or []), "").rstrip("/")
            if base.startswith("http"):
                base = urllib.parse.urlsplit(base).path.rstrip("/")
            request = urllib.request.Request(server.url + base + path,
                                             headers={"Authorization": f"Bearer {server.token}"})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code
    return None


def test_schemathesis_finds_no_server_error_and_no_schema_violation(isolated_steward, document, tmp_path):
    if not (SCHEMATHESIS.is_file() and os.access(SCHEMATHESIS, os.X_OK)):
        pytest.fail(f"schemathesis not found at {SCHEMATHESIS} (set STEWARD_SCHEMATHESIS): run scripts/setup.sh",
                    pytrace=False)
    if not list(operations(document)):
        pytest.fail("/openapi.json describes no operations: nothing for schemathesis to check", pytrace=False)
    last = lockout_operations(document)
    started = time.monotonic()

    code, output, elapsed, shown = run_schemathesis(
        isolated_steward, tmp_path, [arg for name in last for arg in ("--exclude-name", name)], SCHEMATHESIS_BUDGET_S)
    assert code == 0, f"schemathesis exited {code} after {elapsed:.0f} s\n$ {shown}\n{output[-15000:]}"
    status = admin_token_still_works(isolated_steward, document)
    assert status in (None, 200), (f"after the schemathesis run the admin token got {status}: something it called "
                                   f"revoked or replaced it\n$ {shown}\n{output[-6000:]}")
    assert "Authentication failed" not in output, (
        f"schemathesis saw operations answer only 401/403 with the admin token, so their checks prove "
        f"nothing\n$ {shown}\n{output[-15000:]}")

    if last:
        code, output, elapsed, shown = run_schemathesis(
            isolated_steward, tmp_path, [arg for name in last for arg in ("--include-name", name)],
            SCHEMATHESIS_BUDGET_S)
        assert code == 0, f"schemathesis exited {code} after {elapsed:.0f} s\n$ {shown}\n{output[-15000:]}"

    total = time.monotonic() - started
    assert total < SCHEMATHESIS_BUDGET_S, (f"schemathesis passed but took {total:.0f} s (budget "
                                           f"{SCHEMATHESIS_BUDGET_S} s): lower STEWARD_SCHEMATHESIS_MAX_EXAMPLES")
