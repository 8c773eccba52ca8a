"""Acceptance for the Registry issue: `/openapi.json` describes the native API truthfully.

- The document is OpenAPI 3, describes at least MIN_PATHS paths, every operation declares at least
  one 4xx response (the native API's errors are part of its contract), and every link names an
  operation and parameters that exist (stateful testing follows them).
- `schemathesis run <url>/openapi.json --checks all` with the admin bearer token finds nothing:
  no 5xx, no response outside its declared status codes, schema, content type or headers, no
  schema-valid request refused (positive_data_acceptance) and no schema-invalid one accepted
  (negative_data_rejection), no ignored auth, no bad 405s. All four phases run, stateful included:
  scenarios follow the document's own links (a created model to its reads, a page to the next via
  next_page_token...). The number of examples per operation is bounded, so that it finishes in well
  under SCHEMATHESIS_BUDGET_S.
- Before the run, the server gets a little data (a dataset version, a model with a policy, its
  versions 1 and 2 with `champion` moved from 1 to 2, so that its serving history holds an earlier
  stable version and a rollback can apply, a run, a rollout, feedback, an alert rule), so that
  schemathesis, which reuses values it has seen in responses, gets past "404 not found" on reads
  and commands.
- What the document cannot say, and what the run is told instead (a config file and flags, below):
  no string may hold NUL (the document says so in prose: OpenAPI 3.0 cannot constrain object keys),
  so none is generated; an upload's content (CSV that parses, label balance, duplicates) is checked
  beyond any schema, so a schema-valid upload may get 400 or 422; tag keys (experiments', models')
  have MLflow's rules, which OpenAPI 3.0 cannot put on an object's keys (the document says them in
  prose), so a schema-valid `tags` map may get 400; links are the document's own
  (schemathesis' guessed ones feed an experiment's string id into an integer parameter and blame
  the server).
- Operations that can revoke tokens run in a second pass: schemathesis reuses names it saw in
  responses and would otherwise revoke its own admin token early, leaving every later operation a
  hollow 401 (the test also fails if that happens anyway). That pass has no stateful phase (no link
  stays inside it).

stewardd is started the way conftest.py starts it (tests/support's Stewardd), but on a database
of its own: schemathesis creates, changes and deletes whatever the document lets it (tokens included),
and none of that may leak into the session's shared server that the mlflow-client suite uses.

Knobs: STEWARD_SCHEMATHESIS (path of the CLI; default .steward/venv-tools/bin/schemathesis),
STEWARD_SCHEMATHESIS_MAX_EXAMPLES (default 20 per operation), STEWARD_SCHEMATHESIS_SEED.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest

from support import Stewardd, TestDatabase

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = Path(os.environ.get("STEWARD_SCHEMATHESIS", ROOT / ".steward" / "venv-tools" / "bin" / "schemathesis"))
MAX_EXAMPLES = int(os.environ.get("STEWARD_SCHEMATHESIS_MAX_EXAMPLES", "20"))
SEED = os.environ.get("STEWARD_SCHEMATHESIS_SEED", "20261126")
SCHEMATHESIS_BUDGET_S = 90
MIN_PATHS = 30  # every native path: registry, orchestrator, rollouts, monitor
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
UPLOAD = "PUT /api/v1/datasets/{name}/{version}"
CREATE_EXPERIMENT = "POST /api/v1/experiments"
CREATE_MODEL = "POST /api/v1/models"
CONFIG = f"""\
# The document's links (and Location headers) drive stateful testing; guessed links feed an
# experiment's id (a string) into integer parameters and report that as the server's fault.
[phases.stateful.inference]
algorithms = ["location-headers"]

# An upload is read in the `format` parameter's format and validated (labels, balance, duplicates):
# a body the schema allows may not parse (400) or not pass (422, with the report).
[[operations]]
include-name = "{UPLOAD}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "413", "422"]

# Tag keys must be 1-250 characters, not start with '/' and hold no '..' segment (MLflow's rules): the
# document says so in prose, since OpenAPI 3.0 cannot constrain an object's keys, so a `tags` map the
# schema allows may be refused with 400. Only these two operations take a `tags` map.
[[operations]]
include-name = "{CREATE_EXPERIMENT}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409"]

[[operations]]
include-name = "{CREATE_MODEL}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409"]
"""
SEED_CSV = "text,label\n" + "".join(
    f"review {i}: a {'fine' if i % 2 else 'dull'} film,{'positive' if i % 2 else 'negative'}\n" for i in range(20))


@pytest.fixture(scope="module")
def isolated_steward(tmp_path_factory):
    """stewardd on a fresh database of its own (dropped afterwards)."""
    if os.environ.get("STEWARD_TEST_AGAINST_MLFLOW"):
        pytest.skip("MLflow's own server has no native API and no /openapi.json")
    with TestDatabase(prefix="steward_openapi_test") as database:
        # Debug routes: /debug/routes lists the routes the daemon has, for the comparison below.
        server = Stewardd(database.url, tmp_path_factory.mktemp("stewardd-openapi"), env={"STEWARD_DEBUG_ROUTES": "true"}).start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="module")
def document(isolated_steward) -> dict:
    response = isolated_steward.get("/openapi.json")
    assert response.status == 200
    content_type = response.header("Content-Type") or ""
    assert content_type.split(";")[0].strip() == "application/json", content_type
    return response.json()


def operations(document: dict):
    for path, item in (document.get("paths") or {}).items():
        for method, operation in item.items():
            if method.lower() in HTTP_METHODS:
                yield path, method.upper(), operation


def resolve(document: dict, node: dict) -> dict:
    """A `$ref` (to this document) followed to what it names."""
    while isinstance(node, dict) and "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def test_document_describes_the_native_api(document):
    assert str(document.get("openapi", "")).startswith("3."), f"not an OpenAPI 3 document: {document.get('openapi')!r}"
    paths = document.get("paths") or {}
    assert len(paths) >= MIN_PATHS, (f"/openapi.json describes {len(paths)} paths, expected at least {MIN_PATHS} "
                                     f"(the native API under /api/v1): {sorted(paths)}")
    native = [p for p in paths if p.startswith("/api/v1") or
              any(str(s.get("url", "")).rstrip("/").endswith("/api/v1") for s in document.get("servers") or [])]
    assert native, f"no path of the native API (/api/v1) is described: {sorted(paths)}"


def test_every_native_route_is_documented_and_every_documented_path_is_routed(isolated_steward, document):
    """The daemon's own list of routes (every module's, as registered) against the document:
    parameter names aside, each /api/v1 route has an operation and each operation a route."""
    def shape(path: str) -> str:
        return re.sub(r"\{[^}]*\}", "{}", path)

    response = isolated_steward.get("/debug/routes")
    assert response.status == 200, response
    routed = {(m, shape(p)) for m, p in (line.split(" ", 1) for line in response.json()["routes"]) if p.startswith("/api/v1")}
    documented = {(method, shape(path)) for path, method, _ in operations(document) if path.startswith("/api/v1")}
    assert routed, "stewardd lists no /api/v1 route"
    assert not routed - documented, "routes missing from /openapi.json:\n  " + "\n  ".join(
        f"{m} {p}" for m, p in sorted(routed - documented))
    assert not documented - routed, "documented operations with no route:\n  " + "\n  ".join(
        f"{m} {p}" for m, p in sorted(documented - routed))


def test_every_operation_declares_a_4xx_error(document):
    ops = list(operations(document))
    assert ops, "/openapi.json describes no operations"
    missing = []
    for path, method, operation in ops:
        codes = [str(code).upper() for code in (operation.get("responses") or {})]
        if not any(code == "4XX" or (len(code) == 3 and code.startswith("4") and code.isdigit()) for code in codes):
            missing.append(f"{method} {path} (responses: {codes})")
    assert not missing, "operations that declare no 4xx response:\n  " + "\n  ".join(missing)


def test_links_name_operations_and_parameters_that_exist(document):
    """A link to an operation that is gone, or to a parameter it no longer has, would quietly
    leave its part of the stateful phase untested."""
    by_id = {operation.get("operationId"): (path, item, operation)
             for path, item in (document.get("paths") or {}).items()
             for method, operation in item.items() if method.lower() in HTTP_METHODS}
    problems = []
    for path, method, operation in operations(document):
        for code, response in (operation.get("responses") or {}).items():
            for name, link in (resolve(document, response).get("links") or {}).items():
                where = f"{method} {path} {code} link {name}"
                if link.get("operationId") not in by_id:
                    problems.append(f"{where}: no operation {link.get('operationId')!r}")
                    continue
                _, item, target = by_id[link["operationId"]]
                declared = {resolve(document, p)["name"] for p in item.get("parameters", []) + target.get("parameters", [])}
                problems += [f"{where}: {link['operationId']} has no parameter {p!r}"
                             for p in link.get("parameters") or {} if p.split(".")[-1] not in declared]
    assert not problems, "\n".join(problems)


def lockout_operations(document: dict) -> list[str]:
    """Operations that can revoke the token schemathesis itself uses ("DELETE /api/v1/tokens/{name}":
    schemathesis reuses names it has seen in responses, `bootstrap` included). They run in a second,
    separate pass, after everything else."""
    return [f"{method} {path}" for path, method, _ in operations(document) if method == "DELETE" and "token" in path]


def call(server: Stewardd, method: str, path: str, body=None, content_type: str = "application/json") -> dict:
    response = server.request(method, path, body, content_type=content_type)
    if response.status >= 400:
        pytest.fail(f"seeding: {method} {path} answered {response.status}: {response.body[:2000]!r}", pytrace=False)
    return response.json() if response.body.strip() else {}


def seed(server) -> None:
    """Something for the reads and commands to find: schemathesis reuses names and ids it has seen
    in responses. A model version can only come from MLflow's protocol (a run's artifacts)."""
    call(server, "PUT", "/api/v1/datasets/reviews/1?format=csv", SEED_CSV.encode(), "text/csv")
    call(server, "POST", "/api/v1/models", {"name": "sentiment", "policy": "accuracy >= 0.5"})
    experiment = call(server, "POST", "/api/2.0/mlflow/experiments/create", {"name": "sentiment-training"})["experiment_id"]
    run = call(server, "POST", "/api/2.0/mlflow/runs/create", {"experiment_id": experiment})["run"]["info"]
    call(server, "POST", "/api/2.0/mlflow/runs/log-metric",
         {"run_id": run["run_id"], "key": "accuracy", "value": 0.9, "timestamp": 1, "step": 0})
    artifacts = run["artifact_uri"].removeprefix("mlflow-artifacts:/")
    call(server, "PUT", f"/api/2.0/mlflow-artifacts/artifacts/{artifacts}/model/model.onnx", b"not a model",
         "application/octet-stream")
    call(server, "POST", "/api/2.0/mlflow/model-versions/create",
         {"name": "sentiment", "source": f"{run['artifact_uri']}/model", "run_id": run["run_id"]})
    call(server, "PUT", "/api/v1/models/sentiment/aliases/champion", {"version": 1})
    # A second version that took over the stable track: the serving history then holds an earlier
    # stable version, so a rollback (to it, or to the version history's link names) can apply.
    call(server, "POST", "/api/2.0/mlflow/model-versions/create",
         {"name": "sentiment", "source": f"{run['artifact_uri']}/model", "run_id": run["run_id"]})
    call(server, "PUT", "/api/v1/models/sentiment/aliases/champion", {"version": 2, "promote": True})
    # Queued for the local executor, whose training command is absent here: the run fails at once.
    call(server, "POST", "/api/v1/runs", {"model": "sentiment", "dataset": "reviews@1"})
    call(server, "POST", "/api/v1/rollouts", {"model": "sentiment", "canary_version": 1})
    call(server, "POST", "/api/v1/feedback", {"model": "sentiment", "text": "a fine film", "label": "positive"})
    call(server, "PUT", "/api/v1/alert-rules/sentiment-psi", {"metric": "input_psi", "model": "sentiment", "threshold": 0.25})


def run_schemathesis(server, cwd: Path, extra: list[str], budget_s: float) -> tuple[int, str, float, str]:
    config = cwd / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        str(SCHEMATHESIS), "--no-color", "--config-file", str(config), "run", server.url + "/openapi.json",
        # The document's own base path (servers), on this server's origin.
        "--origin", server.url,
        "-H", f"Authorization: Bearer {server.token}",
        "--checks", "all",
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", SEED,
        "--request-timeout", "10",
        # No string may hold NUL (the document says so; the store is PostgreSQL).
        "--generation-allow-x00", "false",
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
            return server.get(base + path).status
    return None


def test_schemathesis_finds_nothing_with_every_check(isolated_steward, document, tmp_path):
    if not (SCHEMATHESIS.is_file() and os.access(SCHEMATHESIS, os.X_OK)):
        pytest.fail(f"schemathesis not found at {SCHEMATHESIS} (set STEWARD_SCHEMATHESIS): run scripts/setup.sh",
                    pytrace=False)
    if not list(operations(document)):
        pytest.fail("/openapi.json describes no operations: nothing for schemathesis to check", pytrace=False)
    seed(isolated_steward)
    last = lockout_operations(document)
    started = time.monotonic()

    code, output, elapsed, shown = run_schemathesis(
        isolated_steward, tmp_path,
        ["--phases", "examples,coverage,fuzzing,stateful", *[arg for name in last for arg in ("--exclude-name", name)]],
        SCHEMATHESIS_BUDGET_S)
    assert code == 0, f"schemathesis exited {code} after {elapsed:.0f} s\n$ {shown}\n{output[-15000:]}"
    status = admin_token_still_works(isolated_steward, document)
    assert status in (None, 200), (f"after the schemathesis run the admin token got {status}: something it called "
                                   f"revoked or replaced it\n$ {shown}\n{output[-6000:]}")
    assert "Authentication failed" not in output, (
        f"schemathesis saw operations answer only 401/403 with the admin token, so their checks prove "
        f"nothing\n$ {shown}\n{output[-15000:]}")

    if last:
        code, output, elapsed, shown = run_schemathesis(
            isolated_steward, tmp_path,
            ["--phases", "examples,coverage,fuzzing", *[arg for name in last for arg in ("--include-name", name)]],
            SCHEMATHESIS_BUDGET_S)
        assert code == 0, f"schemathesis exited {code} after {elapsed:.0f} s\n$ {shown}\n{output[-15000:]}"

    total = time.monotonic() - started
    assert total < SCHEMATHESIS_BUDGET_S, (f"schemathesis passed but took {total:.0f} s (budget "
                                           f"{SCHEMATHESIS_BUDGET_S} s): lower STEWARD_SCHEMATHESIS_MAX_EXAMPLES")
