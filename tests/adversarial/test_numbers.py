"""Numbers out of range, in every place a number is read: filter strings (run and model
filter languages), query parameters, page tokens, path segments and JSON bodies.

An integer context (int64 ids, versions, timestamps, limits) given something that is not an
int64 integer must be refused with a 4xx and a JSON error — never a 5xx, never a crash (today
`attributes.start_time > 1e19` traps in a Double -> Int64 conversion and kills stewardd).
A double context (metric values and metric comparisons) may accept what a double holds, but
never answers 5xx or dies.

Each test aims one place with every hostile value in turn; a value that kills the daemon is
recorded and the daemon restarted, so one test reports every value that fails there.
Reads use a viewer token: a viewer must not be able to kill the daemon.
"""

from __future__ import annotations

import base64
import urllib.parse

import pytest

from support import StewarddError
from support.checks import refusal_problem

FOUR_HUNDRED_DIGITS = "1" + "0" * 399

# Not an int64 integer, written the ways a client could write a number.
INT_BAD = ["1e19", "-1e19", "99999999999999999999", "-99999999999999999999", "9223372036854775808",
           "-9223372036854775809", "1e400", "-1e400", "NaN", "Infinity", "-Infinity", FOUR_HUNDRED_DIGITS,
           "-" + FOUR_HUNDRED_DIGITS, "1.5", "0x10", "1e", "--1", "١٢"]
# Numeric literals of a filter string that overflow an int64 (or are not numbers at all).
FILTER_INT_BAD = ["1e19", "-1e19", "99999999999999999999", "9223372036854775808", "-99999999999999999999",
                  "1e400", "-1e400", FOUR_HUNDRED_DIGITS, "-" + FOUR_HUNDRED_DIGITS, "NaN", "Infinity", "1e308"]
# Numeric literals against a double: 1e19 and 1e308 are fine doubles, the others overflow.
FILTER_DOUBLE = ["1e19", "-1e19", "1e308", "1e400", "-1e400", FOUR_HUNDRED_DIGITS, "NaN", "Infinity",
                 "99999999999999999999", "4.9e-324", "1e-400"]
# JSON literals in an int64 field (NaN/Infinity are not JSON: the body is then malformed, a 400).
JSON_INT_BAD = ["1e19", "-1e19", "99999999999999999999", "9223372036854775808", "-9223372036854775809",
                "1e400", "-1e400", FOUR_HUNDRED_DIGITS, "1.5", "NaN", "Infinity", "-Infinity"]
JSON_STRING_INT_BAD = ['"' + v + '"' for v in ["1e19", "99999999999999999999", "9223372036854775808",
                                                "-9223372036854775809", "1e400", "NaN", "Infinity",
                                                FOUR_HUNDRED_DIGITS, "1.5", "abc"]]
PAGE_TOKENS = [base64.b64encode(f"o:{v}".encode()).decode() for v in INT_BAD[:12] + ["-1"]] + \
              ["!!!", "o:1", "=" * 8, "bzox" * 300, base64.b64encode(b"\xff\xfe\x00").decode(), "%00"]


def q(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def attack(steward, method: str, template: str, values: list[str], *, body: str | None = None,
           token=True, allowed=(400, 404), content_type: str = "application/json",
           extra_check=None) -> list[str]:
    """Sends `template` (path and optional raw body, `{N}` replaced by each value; in the path
    percent-encoded) and returns one line per value that was answered wrongly."""
    failures = []
    for value in values:
        path = template.replace("{N}", q(value))
        data = body.replace("{N}", value).encode() if body is not None else None
        shown = value if len(value) < 30 else value[:12] + f"...({len(value)} chars)"
        try:
            response = steward.request(method, path, data, token=token, content_type=content_type if data else None)
        except StewarddError as crash:
            failures.append(f"{shown}: {crash}".splitlines()[0][:400])
            steward.start()
            continue
        if response.status >= 500 or response.status not in allowed:
            failures.append(f"{shown}: {response.status} {response.text[:200]!r}")
            continue
        if response.status >= 400:
            problem = refusal_problem(response, tuple(allowed))
            if problem:
                failures.append(f"{shown}: {problem}")
                continue
        if extra_check:
            problem = extra_check(value, response)
            if problem:
                failures.append(f"{shown}: {problem}")
    return failures


def report(failures: list[str], where: str) -> None:
    assert not failures, (f"{len(failures)} hostile value(s) mishandled, first: {failures[0][:220]}\n"
                          f"  at {where[:200]}:\n  " + "\n  ".join(failures))


# ---------------------------------------------------------------------------------------------
# filter strings


RUN_FILTER_INT = [
    ("mlflow-runs-search-start_time>", "POST", "/api/2.0/mlflow/runs/search",
     '{"experiment_ids": ["{E}"], "filter": "attributes.start_time > {N}"}'),
    ("mlflow-runs-search-start_time<", "POST", "/api/2.0/mlflow/runs/search",
     '{"experiment_ids": ["{E}"], "filter": "attributes.start_time < {N}"}'),
    ("mlflow-runs-search-end_time=", "POST", "/api/2.0/mlflow/runs/search",
     '{"experiment_ids": ["{E}"], "filter": "attributes.end_time = {N}"}'),
    ("mlflow-runs-search-start_time-and", "POST", "/api/2.0/mlflow/runs/search",
     '{"experiment_ids": ["{E}"], "filter": "params.p = \'1\' and attributes.start_time >= {N}"}'),
    ("native-runs-start_time>", "GET", "/api/v1/runs?experiment_id={E}&filter=" + q("attributes.start_time > ") + "{N}", None),
    ("native-runs-end_time<=", "GET", "/api/v1/runs?filter=" + q("attributes.end_time <= ") + "{N}", None),
]


@pytest.mark.parametrize("method,path,body", [c[1:] for c in RUN_FILTER_INT], ids=[c[0] for c in RUN_FILTER_INT])
def test_run_filter_integer_attribute_out_of_range_is_400(steward, seed, viewer, method, path, body):
    path = path.replace("{E}", seed["experiment_id"])
    body = body.replace("{E}", seed["experiment_id"]) if body else None
    report(attack(steward, method, path, FILTER_INT_BAD, body=body, token=viewer, allowed=(400,)), f"{method} {path}")


RUN_FILTER_DOUBLE = [
    ("mlflow-runs-search-metric>", "POST", "/api/2.0/mlflow/runs/search",
     '{"experiment_ids": ["{E}"], "filter": "metrics.acc > {N}"}'),
    ("mlflow-runs-search-metric=", "POST", "/api/2.0/mlflow/runs/search",
     '{"experiment_ids": ["{E}"], "filter": "metrics.`acc` = {N}"}'),
    ("native-runs-metric<", "GET", "/api/v1/runs?experiment_id={E}&filter=" + q("metrics.acc < ") + "{N}", None),
]


@pytest.mark.parametrize("method,path,body", [c[1:] for c in RUN_FILTER_DOUBLE], ids=[c[0] for c in RUN_FILTER_DOUBLE])
def test_run_filter_metric_comparison_never_fails_the_server(steward, seed, viewer, method, path, body):
    """A metric is a double: 1e19 and 1e308 compare normally (200); overflowing literals,
    NaN and Infinity may be accepted or refused, never a 5xx."""
    path = path.replace("{E}", seed["experiment_id"])
    body = body.replace("{E}", seed["experiment_id"]) if body else None

    def finite_ones_work(value, response):
        if value in ("1e19", "-1e19", "1e308") and response.status != 200:
            return f"a finite double literal was refused ({response.status})"
        return None

    report(attack(steward, method, path, FILTER_DOUBLE, body=body, token=viewer, allowed=(200, 400),
                  extra_check=finite_ones_work), f"{method} {path}")


MODEL_FILTER_INT = [
    ("mlflow-model-versions-search-version_number=", "GET",
     "/api/2.0/mlflow/model-versions/search?filter=" + q("version_number = ") + "{N}"),
    ("mlflow-model-versions-search-version_number>", "GET",
     "/api/2.0/mlflow/model-versions/search?filter=" + q("name = 'adv-model' and version_number > ") + "{N}"),
    ("mlflow-registered-models-search-version_number", "GET",
     "/api/2.0/mlflow/registered-models/search?filter=" + q("version_number = ") + "{N}"),
    ("mlflow-experiments-search-get-creation_time", "GET",
     "/api/2.0/mlflow/experiments/search?filter=" + q("creation_time > ") + "{N}"),
    ("mlflow-experiments-search-get-last_update_time", "GET",
     "/api/2.0/mlflow/experiments/search?filter=" + q("last_update_time < ") + "{N}"),
]


@pytest.mark.parametrize("method,path", [c[1:] for c in MODEL_FILTER_INT], ids=[c[0] for c in MODEL_FILTER_INT])
def test_model_and_experiment_filter_numbers_out_of_range_are_400(steward, seed, viewer, method, path):
    report(attack(steward, method, path, FILTER_INT_BAD, token=viewer, allowed=(400,)), f"{method} {path}")


@pytest.mark.parametrize("field", ["creation_time", "last_update_time"])
def test_experiments_search_post_filter_numbers_out_of_range_are_400(steward, viewer, field):
    body = '{"max_results": 10, "filter": "' + field + ' >= {N}"}'
    report(attack(steward, "POST", "/api/2.0/mlflow/experiments/search", FILTER_INT_BAD, body=body,
                  token=viewer, allowed=(400,)), f"experiments/search {field}")


# ---------------------------------------------------------------------------------------------
# query parameters and page tokens

QUERY_INT = [
    "/api/v1/experiments?limit={N}",
    "/api/v1/runs?limit={N}",
    "/api/v1/runs?experiment_id={N}",
    "/api/v1/runs/{RUN}/metrics/acc?limit={N}",
    "/api/v1/models?limit={N}",
    "/api/v1/models/adv-model/versions?limit={N}",
    "/api/v1/datasets?limit={N}",
    "/api/v1/runs/{RUN}/logs?tail={N}",
    "/api/v1/models/adv-model/drift?limit={N}",
    "/api/v1/drift?model=adv-model&feature=char_length&version={N}",
    "/api/v1/drift?model=adv-model&feature=char_length&from={N}",
    "/api/2.0/mlflow/experiments/search?max_results={N}",
    "/api/2.0/mlflow/experiments/get?experiment_id={N}",
    "/api/2.0/mlflow/registered-models/search?max_results={N}",
    "/api/2.0/mlflow/model-versions/search?max_results={N}",
    "/api/2.0/mlflow/model-versions/get?name=adv-model&version={N}",
    "/api/2.0/mlflow/model-versions/get-download-uri?name=adv-model&version={N}",
    "/api/2.0/mlflow/metrics/get-history?run_id={RUN}&metric_key=acc&max_results={N}",
    "/debug/sleep?ms={N}",
]


def test_audit_numbers_out_of_range_are_400(steward):
    """The audit log is read by admins only."""
    failures = attack(steward, "GET", "/api/v1/audit?limit={N}", INT_BAD)
    failures += attack(steward, "GET", "/api/v1/audit?page_token={N}", PAGE_TOKENS, allowed=(400,))
    report(failures, "/api/v1/audit")


@pytest.mark.parametrize("path", QUERY_INT)
def test_integer_query_parameter_out_of_range_is_4xx(steward, seed, viewer, path):
    path = path.replace("{RUN}", seed["run_id"])
    report(attack(steward, "GET", path, INT_BAD, token=viewer), path)


PAGED = [
    "/api/v1/experiments?page_token={N}",
    "/api/v1/runs?page_token={N}",
    "/api/v1/runs/{RUN}/metrics/acc?page_token={N}",
    "/api/v1/models?page_token={N}",
    "/api/v1/models/adv-model/versions?page_token={N}",
    "/api/v1/datasets?page_token={N}",
    "/api/2.0/mlflow/experiments/search?page_token={N}",
    "/api/2.0/mlflow/registered-models/search?page_token={N}",
    "/api/2.0/mlflow/model-versions/search?page_token={N}",
    "/api/2.0/mlflow/metrics/get-history?run_id={RUN}&metric_key=acc&page_token={N}",
]


@pytest.mark.parametrize("path", PAGED)
def test_page_token_garbage_is_400(steward, seed, viewer, path):
    """Page tokens are base64 of `o:<offset>`: offsets out of range and tokens that are not
    base64 at all must be refused alike."""
    path = path.replace("{RUN}", seed["run_id"])
    report(attack(steward, "GET", path, PAGE_TOKENS, token=viewer, allowed=(400,)), path)


def test_runs_search_page_token_garbage_is_400(steward, seed, viewer):
    body = '{"experiment_ids": ["' + seed["experiment_id"] + '"], "page_token": "{N}"}'
    report(attack(steward, "POST", "/api/2.0/mlflow/runs/search", PAGE_TOKENS, body=body, token=viewer,
                  allowed=(400,)), "runs/search page_token")


# ---------------------------------------------------------------------------------------------
# path segments

PATH_INT = [
    ("GET", "/api/v1/models/adv-model/versions/{N}"),
    ("GET", "/api/v1/models/adv-model/versions/{N}/files"),
    ("GET", "/api/v1/models/adv-model/versions/{N}/decision"),
    ("POST", "/api/v1/models/adv-model/versions/{N}/stage"),
    ("GET", "/api/v1/datasets/adv-data/{N}"),
    ("GET", "/api/v1/runs/{N}"),
    ("GET", "/api/v1/runs/{N}/metrics/acc"),
    ("GET", "/api/v1/runs/{N}/events"),
    ("GET", "/api/v1/runs/{N}/logs"),
    ("POST", "/api/v1/runs/{N}/cancel"),
    ("GET", "/api/v1/rollouts/{N}"),
    ("POST", "/api/v1/rollouts/adv-model/{N}"),
    ("GET", "/api/v1/models/{N}/accuracy"),
    ("GET", "/api/v1/models/{N}/drift"),
    ("GET", "/api/v1/models/adv-model/aliases/{N}"),
]


@pytest.mark.parametrize("method,path", PATH_INT, ids=[f"{m} {p}" for m, p in PATH_INT])
def test_numeric_path_segment_out_of_range_is_4xx(steward, seed, viewer, method, path):
    body = '{"stage": "Staging"}' if path.endswith("/stage") else ("{}" if method == "POST" else None)
    token = viewer if method == "GET" else True
    report(attack(steward, method, path, INT_BAD, body=body, token=token), f"{method} {path}")


# ---------------------------------------------------------------------------------------------
# JSON bodies

JSON_INT = [
    ("runs/search max_results", "POST", "/api/2.0/mlflow/runs/search", '{"experiment_ids": ["{E}"], "max_results": {N}}'),
    ("runs/search experiment_ids", "POST", "/api/2.0/mlflow/runs/search", '{"experiment_ids": [{N}]}'),
    ("logged-models/search max_results", "POST", "/api/2.0/mlflow/logged-models/search",
     '{"experiment_ids": ["{E}"], "max_results": {N}}'),
    ("experiments/search max_results", "POST", "/api/2.0/mlflow/experiments/search", '{"max_results": {N}}'),
    ("runs/create start_time", "POST", "/api/2.0/mlflow/runs/create", '{"experiment_id": "{E}", "start_time": {N}}'),
    ("runs/create experiment_id", "POST", "/api/2.0/mlflow/runs/create", '{"experiment_id": {N}}'),
    ("runs/update end_time", "POST", "/api/2.0/mlflow/runs/update", '{"run_id": "{RUN}", "end_time": {N}}'),
    ("runs/log-metric timestamp", "POST", "/api/2.0/mlflow/runs/log-metric",
     '{"run_id": "{RUN}", "key": "n", "value": 1, "timestamp": {N}, "step": 0}'),
    ("runs/log-metric step", "POST", "/api/2.0/mlflow/runs/log-metric",
     '{"run_id": "{RUN}", "key": "n", "value": 1, "timestamp": 1, "step": {N}}'),
    ("runs/log-batch step", "POST", "/api/2.0/mlflow/runs/log-batch",
     '{"run_id": "{RUN}", "metrics": [{"key": "n", "value": 1, "timestamp": 1, "step": {N}}]}'),
    ("runs/log-batch timestamp", "POST", "/api/2.0/mlflow/runs/log-batch",
     '{"run_id": "{RUN}", "metrics": [{"key": "n", "value": 1, "timestamp": {N}, "step": 0}]}'),
    ("experiments/delete experiment_id", "POST", "/api/2.0/mlflow/experiments/delete", '{"experiment_id": {N}}'),
    ("model-versions/transition-stage version", "POST", "/api/2.0/mlflow/model-versions/transition-stage",
     '{"name": "adv-model", "version": {N}, "stage": "Staging", "archive_existing_versions": false}'),
    ("model-versions/update version", "PATCH", "/api/2.0/mlflow/model-versions/update",
     '{"name": "adv-model", "version": {N}, "description": "x"}'),
    ("model-versions/set-tag version", "POST", "/api/2.0/mlflow/model-versions/set-tag",
     '{"name": "adv-model", "version": {N}, "key": "k", "value": "v"}'),
    ("registered-models/alias version", "POST", "/api/2.0/mlflow/registered-models/alias",
     '{"name": "adv-model", "alias": "numbers", "version": {N}}'),
    ("native alias version", "PUT", "/api/v1/models/adv-model/aliases/numbers", '{"version": {N}}'),
    ("native rollout canary_version", "POST", "/api/v1/rollouts", '{"model": "adv-rollout-model", "canary_version": {N}}'),
    ("native rollout step weight", "POST", "/api/v1/rollouts",
     '{"model": "adv-rollout-model", "canary_version": 2, "steps": [{"weight": {N}}]}'),
    ("native alert-rule for_seconds", "PUT", "/api/v1/alert-rules/numbers",
     '{"metric": "error_rate", "model": "adv-model", "threshold": 0.1, "for_seconds": {N}}'),
    ("native run warm_start_version", "POST", "/api/v1/runs",
     '{"model": "adv-model", "dataset": "adv-data@v1", "warm_start_version": {N}}'),
    ("native feedback request_id (a string) given numbers", "POST", "/api/v1/feedback",
     '{"model": "adv-model", "text": "x", "label": "positive", "request_id": {N}}'),
]


@pytest.mark.parametrize("method,path,body", [c[1:] for c in JSON_INT], ids=[c[0] for c in JSON_INT])
def test_integer_json_field_out_of_range_is_4xx(steward, seed, method, path, body):
    body = body.replace("{E}", seed["experiment_id"]).replace("{RUN}", seed["run_id"])
    values = JSON_INT_BAD + (JSON_STRING_INT_BAD if path.startswith("/api/2.0") else [])
    report(attack(steward, method, path, values, body=body), f"{method} {path}")


JSON_DOUBLE = [
    ("runs/log-metric value", "POST", "/api/2.0/mlflow/runs/log-metric",
     '{"run_id": "{RUN}", "key": "d", "value": {N}, "timestamp": 1, "step": 0}'),
    ("runs/log-batch value", "POST", "/api/2.0/mlflow/runs/log-batch",
     '{"run_id": "{RUN}", "metrics": [{"key": "d", "value": {N}, "timestamp": 1, "step": 0}]}'),
    ("native alert-rule threshold", "PUT", "/api/v1/alert-rules/numbers",
     '{"metric": "error_rate", "model": "adv-model", "threshold": {N}}'),
    ("native rollout analysis", "POST", "/api/v1/rollouts",
     '{"model": "adv-rollout-model", "canary_version": 2, "analysis": {"max_error_rate": {N}}}'),
]


@pytest.mark.parametrize("method,path,body", [c[1:] for c in JSON_DOUBLE], ids=[c[0] for c in JSON_DOUBLE])
def test_double_json_field_never_fails_the_server(steward, seed, method, path, body):
    """MLflow stores NaN and +-Infinity metric values (protobuf JSON spells them as strings);
    a literal beyond a double's range may be refused. Never a 5xx."""
    body = body.replace("{RUN}", seed["run_id"])
    values = FILTER_DOUBLE + ['"NaN"', '"Infinity"', '"-Infinity"', '"1e400"']
    report(attack(steward, method, path, values, body=body, allowed=(200, 201, 400, 404, 409, 422)),
           f"{method} {path}")


def test_dataset_upload_max_label_share_out_of_range_is_400(steward):
    """`max_label_share` must be in [0.5, 1] (openapi.json); none of these is."""
    csv = "text,label\ngood,positive\nbad,negative\n"
    failures = []
    for i, value in enumerate(INT_BAD):
        failures += attack(steward, "PUT", f"/api/v1/datasets/adv-share-{i}/v1?format=csv&max_label_share={{N}}",
                           [value], body=csv, content_type="text/csv", allowed=(400,))
    report(failures, "PUT /api/v1/datasets?max_label_share")
