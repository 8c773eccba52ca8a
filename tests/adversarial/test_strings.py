r"""Hostile strings in every string field of the main write routes: invalid UTF-8 bytes, an
overlong UTF-8 encoding, a raw NUL, an escaped `\\u0000` (valid JSON, refused by PostgreSQL's
text type), a lone surrogate, and 1 MB strings.

Expected: 400 with a JSON error whose body does not carry the input back (16 KiB bound), and
nothing written — the registry tables and dataset folders read back identical (conftest's
`fingerprint`), audit rows included — never 5xx.
MLflow's own limits, for comparison (mlflow/utils/validation.py, 3.17.2): names and keys 250
(MAX_ENTITY_KEY_LENGTH), experiment names 500, experiment tag values 20,000, run tag values 8,000,
param values 6,000, registry tag values 100,000, aliases 255 and `^[\w\-]*$`; descriptions are
varchar(5000) columns (mlflow/store/model_registry/dbmodels/models.py). MLflow's server truncates
over-long run param and tag values (MLFLOW_TRUNCATE_LONG_VALUES, default true); Steward refuses
them, which the test also accepts, since nothing is written.
Bodies past the JSON body limit (8 MiB, HTTPServer.Configuration.maxBodyBytes) answer 413.
"""

from __future__ import annotations

import json
import secrets

import pytest

from support.checks import refusal_problem

MB = 1 << 20
HOSTILE: dict[str, bytes] = {
    "escaped-nul": b'"a\\u0000b"',
    "raw-nul": b'"a\x00b"',
    "invalid-utf8": b'"a\xff\xfeb"',
    "overlong-utf8-nul": b'"a\xc0\x80b"',
    "lone-surrogate": b'"a\\ud800b"',
    "1MB": json.dumps("x" * MB).encode(),
    "1MB-nul-at-end": json.dumps("x" * MB + "\u0000").encode(),
}


# (id, method, path, body with @ where the hostile JSON string goes, what it writes to)
JSON_FIELDS = [
    ("mlflow experiment name", "POST", "/api/2.0/mlflow/experiments/create", b'{"name": @}', "experiments"),
    ("mlflow experiment tag value", "POST", "/api/2.0/mlflow/experiments/create",
     b'{"name": "str-$", "tags": [{"key": "k", "value": @}]}', "experiments"),
    ("mlflow experiment tag key", "POST", "/api/2.0/mlflow/experiments/create",
     b'{"name": "str-$", "tags": [{"key": @, "value": "v"}]}', "experiments"),
    ("mlflow set-experiment-tag value", "POST", "/api/2.0/mlflow/experiments/set-experiment-tag",
     b'{"experiment_id": "$E", "key": "k$", "value": @}', "experiments"),
    ("native experiment name", "POST", "/api/v1/experiments", b'{"name": @}', "experiments"),
    ("native experiment tag value", "POST", "/api/v1/experiments", b'{"name": "str-$", "tags": {"k": @}}', "experiments"),
    ("run create run_name", "POST", "/api/2.0/mlflow/runs/create", b'{"experiment_id": "$E", "run_name": @}', "runs"),
    ("run create tag value", "POST", "/api/2.0/mlflow/runs/create",
     b'{"experiment_id": "$E", "tags": [{"key": "k", "value": @}]}', "runs"),
    ("run create user_id", "POST", "/api/2.0/mlflow/runs/create", b'{"experiment_id": "$E", "user_id": @}', "runs"),
    ("run set-tag key", "POST", "/api/2.0/mlflow/runs/set-tag", b'{"run_id": "$R", "key": @, "value": "v"}', "runs"),
    ("run set-tag value", "POST", "/api/2.0/mlflow/runs/set-tag", b'{"run_id": "$R", "key": "k$", "value": @}', "runs"),
    ("run log-param key", "POST", "/api/2.0/mlflow/runs/log-parameter", b'{"run_id": "$R", "key": @, "value": "v"}', "runs"),
    ("run log-param value", "POST", "/api/2.0/mlflow/runs/log-parameter", b'{"run_id": "$R", "key": "p$", "value": @}', "runs"),
    ("run log-metric key", "POST", "/api/2.0/mlflow/runs/log-metric",
     b'{"run_id": "$R", "key": @, "value": 1, "timestamp": 1, "step": 0}', "runs"),
    ("log-batch param value", "POST", "/api/2.0/mlflow/runs/log-batch",
     b'{"run_id": "$R", "params": [{"key": "ok$", "value": "fine"}, {"key": "b$", "value": @}]}', "runs"),
    ("log-batch tag value", "POST", "/api/2.0/mlflow/runs/log-batch",
     b'{"run_id": "$R", "tags": [{"key": "ok$", "value": "fine"}, {"key": "t$", "value": @}]}', "runs"),
    ("log-batch metric key", "POST", "/api/2.0/mlflow/runs/log-batch",
     b'{"run_id": "$R", "metrics": [{"key": "ok$", "value": 1, "timestamp": 1, "step": 0},'
     b' {"key": @, "value": 1, "timestamp": 1, "step": 0}]}', "runs"),
    ("mlflow model name", "POST", "/api/2.0/mlflow/registered-models/create", b'{"name": @}', "models"),
    ("mlflow model description", "POST", "/api/2.0/mlflow/registered-models/create",
     b'{"name": "str-$", "description": @}', "models"),
    ("mlflow model tag value", "POST", "/api/2.0/mlflow/registered-models/create",
     b'{"name": "str-$", "tags": [{"key": "k", "value": @}]}', "models"),
    ("native model name", "POST", "/api/v1/models", b'{"name": @}', "models"),
    ("native model description", "POST", "/api/v1/models", b'{"name": "str-$", "description": @}', "models"),
    ("native model tag value", "POST", "/api/v1/models", b'{"name": "str-$", "tags": {"k": @}}', "models"),
    ("model update description", "PATCH", "/api/2.0/mlflow/registered-models/update",
     b'{"name": "adv-model", "description": @}', "models"),
    ("version update description", "PATCH", "/api/2.0/mlflow/model-versions/update",
     b'{"name": "adv-model", "version": "1", "description": @}', "models"),
    ("version create source", "POST", "/api/2.0/mlflow/model-versions/create", b'{"name": "adv-model", "source": @}', "models"),
    ("version create description", "POST", "/api/2.0/mlflow/model-versions/create",
     b'{"name": "adv-model", "source": "/tmp/x", "description": @}', "models"),
    ("version create run_id", "POST", "/api/2.0/mlflow/model-versions/create",
     b'{"name": "adv-model", "source": "/tmp/x", "run_id": @}', "models"),
    ("mlflow alias name", "POST", "/api/2.0/mlflow/registered-models/alias",
     b'{"name": "adv-model", "alias": @, "version": "1"}', "models"),
    ("token name", "POST", "/api/v1/tokens", b'{"name": @, "role": "viewer"}', "tokens"),
]


def statuses_for(path: str, body: bytes) -> tuple[int, ...]:
    """400; a reference to another object (a run id) may also be a 404."""
    return (400, 404) if b'"run_id": @' in body else (400,)


@pytest.mark.parametrize("method,path,body,kind", [c[1:] for c in JSON_FIELDS], ids=[c[0] for c in JSON_FIELDS])
def test_hostile_string_in_json_field_is_400_and_writes_nothing(steward, seed, fingerprint, method, path, body, kind):
    body = body.replace(b"$E", seed["experiment_id"].encode()).replace(b"$R", seed["run_id"].encode())
    failures = []
    for name, value in HOSTILE.items():
        data = body.replace(b"$", secrets.token_hex(4).encode()).replace(b"@", value)
        before = fingerprint()
        response = steward.request(method, path, data, content_type="application/json")
        problem = refusal_problem(response, statuses_for(path, body))
        if problem is None and fingerprint() != before:
            problem = "refused, but something was written"
        if problem:
            failures.append(f"{name}: {problem}")
    assert not failures, f"{method} {path}: " + "; ".join(failures)


PATH_FIELDS = [
    ("dataset name", "PUT", "/api/v1/datasets/@/v1?format=csv", "datasets"),
    ("dataset version", "PUT", "/api/v1/datasets/str-data/@?format=csv", "datasets"),
    ("native alias name", "PUT", "/api/v1/models/adv-model/aliases/@", "models"),
]
HOSTILE_SEGMENTS = {"nul": "a%00b", "invalid-utf8": "a%FF%FEb", "overlong-utf8": "a%C0%80b", "control": "a%01b",
                    "dot-dot": "..", "slash": "a%2Fb", "long": "x" * 4000}


@pytest.mark.parametrize("method,path,kind", [c[1:] for c in PATH_FIELDS], ids=[c[0] for c in PATH_FIELDS])
def test_hostile_string_in_path_segment_is_4xx_and_writes_nothing(steward, seed, fingerprint, method, path, kind):
    csv = b"text,label\ngood,positive\nbad,negative\n"
    failures = []
    for name, segment in HOSTILE_SEGMENTS.items():
        before = fingerprint()
        if "datasets" in path:
            response = steward.request(method, path.replace("@", segment), csv, content_type="text/csv")
        else:
            response = steward.request(method, path.replace("@", segment), {"version": 1})
        problem = refusal_problem(response, (400, 404))
        if problem is None and fingerprint() != before:
            problem = "refused, but something was written"
        if problem:
            failures.append(f"{name}: {problem}")
    assert not failures, f"{method} {path}: " + "; ".join(failures)


def test_invalid_utf8_in_dataset_rows_is_refused(steward, fingerprint):
    """Invalid UTF-8 inside a CSV's rows: refused with 400/422, nothing stored."""
    failures = []
    for name, row in {"invalid-utf8": b"a\xff\xfeb,positive\n", "overlong": b"a\xc0\x80b,positive\n",
                      "truncated-sequence": b"a\xe2\x82,positive\n"}.items():
        before = fingerprint()
        response = steward.put(f"/api/v1/datasets/str-rows-{name}/v1?format=csv",
                               b"text,label\n" + row + b"fine,negative\n", content_type="text/csv")
        problem = refusal_problem(response, (400, 422))
        if problem is None and fingerprint() != before:
            problem = "refused, but something was written"
        if problem:
            failures.append(f"{name}: {problem}")
    assert not failures, "; ".join(failures)


def test_body_past_the_limit_is_413(steward, seed, fingerprint):
    """9 MiB of JSON (the limit is 8 MiB): 413, nothing written."""
    before = fingerprint()
    body = b'{"run_id": "' + seed["run_id"].encode() + b'", "key": "big", "value": ' + \
        json.dumps("x" * (9 * MB)).encode() + b"}"
    response = steward.post("/api/2.0/mlflow/runs/set-tag", body, content_type="application/json", timeout=60)
    problem = refusal_problem(response, (413,))
    assert problem is None, problem
    assert fingerprint() == before


def test_error_messages_do_not_echo_unbounded_input(steward, seed):
    """1 MB identifiers in a filter string, an experiment name and a run id: refused with a
    body of at most 4 KiB."""
    key = "k" * MB
    cases = {
        "runs/search params key": steward.post("/api/2.0/mlflow/runs/search", {
            "experiment_ids": [seed["experiment_id"]], "filter": f"params.{key} = 'x' and bogus"}),
        "runs/search attribute": steward.post("/api/2.0/mlflow/runs/search", {
            "experiment_ids": [seed["experiment_id"]], "filter": "attributes." + key + " = 'x'"}),
        "experiments/create name": steward.post("/api/2.0/mlflow/experiments/create", {"name": "n" * MB}),
        "runs/update run_id": steward.post("/api/2.0/mlflow/runs/update", {"run_id": "r" * MB, "status": "FINISHED"}),
        "alias name": steward.post("/api/2.0/mlflow/registered-models/alias",
                                   {"name": "adv-model", "alias": "a" * MB, "version": "1"}),
    }
    problems = [f"{name}: {p}" for name, r in cases.items() if (p := refusal_problem(r, (400, 404), max_body=4096))]
    assert not problems, problems
