"""Where Steward's MLflow protocol must behave as MLflow 3.17.2 (the venv's `mlflow` package)
does. Each expectation cites the MLflow source it comes from.
"""

from __future__ import annotations

import secrets
import urllib.parse

import pytest

from support.checks import assert_refused

# mlflow/utils/validation.py
MAX_EXPERIMENT_TAG_VAL_LENGTH = 20_000       # _validate_experiment_tag: no truncation
MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH = 100_000  # _validate_registered_model_tag / _validate_model_version_tag
# mlflow/store/model_registry/dbmodels/models.py: SqlRegisteredModel.description and
# SqlModelVersion.description are String(5000). On PostgreSQL a longer value is a DataError
# that make_managed_session (mlflow/store/db/utils.py) answers as BAD_REQUEST; the issue asks
# for Steward's usual INVALID_PARAMETER_VALUE (both are HTTP 400).
MAX_DESCRIPTION_LENGTH = 5_000


def refused_as_invalid(response, what):
    code, _ = assert_refused(response, (400,), shape="mlflow", max_body=4096, what=what)
    assert code == "INVALID_PARAMETER_VALUE", f"{what}: error_code {code}"


def new_experiment(steward, **extra) -> str:
    r = steward.post("/api/2.0/mlflow/experiments/create", {"name": f"parity-{secrets.token_hex(4)}", **extra})
    assert r.status == 200, r
    return r.json()["experiment_id"]


def new_model(steward) -> str:
    name = f"parity-{secrets.token_hex(4)}"
    assert steward.post("/api/2.0/mlflow/registered-models/create", {"name": name}).status == 200
    assert steward.post("/api/2.0/mlflow/model-versions/create", {"name": name, "source": "/tmp/x"}).status == 200
    return name


def test_experiment_tag_value_over_mlflows_limit_is_refused(steward):
    experiment = new_experiment(steward)
    at_limit = "v" * MAX_EXPERIMENT_TAG_VAL_LENGTH
    r = steward.post("/api/2.0/mlflow/experiments/set-experiment-tag",
                     {"experiment_id": experiment, "key": "ok", "value": at_limit})
    assert r.status == 200, r
    for size in (MAX_EXPERIMENT_TAG_VAL_LENGTH + 1, 7 * (1 << 20)):
        refused_as_invalid(steward.post("/api/2.0/mlflow/experiments/set-experiment-tag",
                                        {"experiment_id": experiment, "key": "big", "value": "v" * size}),
                           f"set-experiment-tag value of {size}")
        refused_as_invalid(steward.post("/api/2.0/mlflow/experiments/create", {
            "name": f"parity-{secrets.token_hex(4)}", "tags": [{"key": "big", "value": "v" * size}]}),
            f"experiments/create tag value of {size}")
    tags = {t["key"]: t["value"] for t in
            steward.get(f"/api/2.0/mlflow/experiments/get?experiment_id={experiment}").json()["experiment"].get("tags", [])}
    assert tags == {"ok": at_limit}


@pytest.mark.parametrize("route", ["registered-models/create", "registered-models/update",
                                   "model-versions/create", "model-versions/update"])
def test_description_over_mlflows_limit_is_refused(steward, route):
    name = new_model(steward)
    bodies = {
        "registered-models/create": lambda d: ("POST", {"name": f"parity-{secrets.token_hex(4)}", "description": d}),
        "registered-models/update": lambda d: ("PATCH", {"name": name, "description": d}),
        "model-versions/create": lambda d: ("POST", {"name": name, "source": "/tmp/y", "description": d}),
        "model-versions/update": lambda d: ("PATCH", {"name": name, "version": "1", "description": d}),
    }
    method, body = bodies[route]("d" * MAX_DESCRIPTION_LENGTH)
    assert steward.request(method, f"/api/2.0/mlflow/{route}", body).status == 200, "5,000 characters must be accepted"
    versions_before = steward.get(f"/api/v1/models/{name}/versions?limit=1000").json()["items"]
    for size in (MAX_DESCRIPTION_LENGTH + 1, 7 * (1 << 20)):
        method, body = bodies[route]("d" * size)
        refused_as_invalid(steward.request(method, f"/api/2.0/mlflow/{route}", body), f"{route} description of {size}")
    model = steward.get(f"/api/v1/models/{name}").json()
    assert len(model.get("description") or "") <= MAX_DESCRIPTION_LENGTH
    versions = steward.get(f"/api/v1/models/{name}/versions?limit=1000").json()["items"]
    assert len(versions) == len(versions_before)
    assert all(len(v.get("description") or "") <= MAX_DESCRIPTION_LENGTH for v in versions)


@pytest.mark.parametrize("route", ["registered-models/set-tag", "model-versions/set-tag"])
def test_registry_tag_value_over_mlflows_limit_is_refused(steward, route):
    name = new_model(steward)
    body = {"name": name, "key": "k"} | ({"version": "1"} if route.startswith("model-versions") else {})
    assert steward.post(f"/api/2.0/mlflow/{route}", body | {"value": "v" * MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH}).status == 200
    refused_as_invalid(steward.post(f"/api/2.0/mlflow/{route}",
                                    body | {"key": "big", "value": "v" * (MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH + 1)}),
                       f"{route} value over 100,000")


def test_experiments_search_filters_by_tag(steward, viewer):
    """SearchExperimentsUtils (mlflow/utils/search_utils.py) parses `tags.<key> = '<value>'`
    and the SQL store filters on it."""
    marker = secrets.token_hex(4)
    tagged = new_experiment(steward, tags=[{"key": "team", "value": marker}])
    other = new_experiment(steward, tags=[{"key": "team", "value": "someone-else"}])
    untagged = new_experiment(steward)
    r = steward.post("/api/2.0/mlflow/experiments/search",
                     {"filter": f"tags.team = '{marker}'", "max_results": 1000}, token=viewer)
    assert r.status == 200, r
    found = [e["experiment_id"] for e in r.json().get("experiments", [])]
    assert found == [tagged], f"tags.team = '{marker}' found {found} (other: {other}, untagged: {untagged})"
    r = steward.get("/api/2.0/mlflow/experiments/search?max_results=1000&filter="
                    + f"tags.team%20LIKE%20%27{marker[:4]}%25%27", token=viewer)
    assert r.status == 200, r
    assert [e["experiment_id"] for e in r.json().get("experiments", [])] == [tagged]


def test_experiments_search_refuses_fields_it_does_not_have(steward, viewer):
    """VALID_SEARCH_ATTRIBUTE_KEYS = {name, experiment_id, creation_time, last_update_time};
    anything else is INVALID_PARAMETER_VALUE, not silently ignored."""
    for bad in ("artifact_location = 'x'", "metrics.acc > 1", "params.p = 'x'", "lifecycle_stage = 'active'"):
        refused_as_invalid(steward.post("/api/2.0/mlflow/experiments/search", {"filter": bad}, token=viewer),
                           f"experiments/search filter {bad!r}")


def test_runs_search_order_by_backquoted_tag_key(steward, viewer):
    """SearchUtils.parse_order_by_for_search_runs("tags.`a b` DESC") == ('tag', 'a b', False)."""
    experiment = new_experiment(steward)
    ids = {}
    for value in ("2", "1", "3"):
        run = steward.post("/api/2.0/mlflow/runs/create",
                           {"experiment_id": experiment, "tags": [{"key": "a b", "value": value}]})
        assert run.status == 200, run
        ids[value] = run.json()["run"]["info"]["run_id"]
    for order, expected in (("ASC", ["1", "2", "3"]), ("DESC", ["3", "2", "1"])):
        r = steward.post("/api/2.0/mlflow/runs/search",
                         {"experiment_ids": [experiment], "order_by": [f"tags.`a b` {order}"]}, token=viewer)
        assert r.status == 200, f"order_by tags.`a b` {order}: {r!r}"
        got = [x["info"]["run_id"] for x in r.json()["runs"]]
        assert got == [ids[v] for v in expected], f"order_by tags.`a b` {order}"


@pytest.mark.parametrize("field", ["stage", "current_stage"])
def test_model_versions_search_filters_by_stage(steward, viewer, field):
    """MLflow 3.17.2 refuses a stage in model-versions/search (its VALID_SEARCH_ATTRIBUTE_KEYS are
    name, version_number, run_id, source_path); the issue asks for it, so Steward accepts `stage`
    and `current_stage` as an extension (any spelling of a stage; LIKE matches the stored one)
    and answers exactly the versions in that stage. A stage that does not exist is a 400."""
    name = new_model(steward)
    for _ in range(2):
        created = steward.post("/api/2.0/mlflow/model-versions/create", {"name": name, "source": "/tmp/src"})
        assert created.status == 200, created
    moved = steward.post("/api/2.0/mlflow/model-versions/transition-stage",
                         {"name": name, "version": "2", "stage": "Production", "archive_existing_versions": False})
    assert moved.status == 200, moved
    query = f"name = '{name}' and {field} = 'production'"
    r = steward.get("/api/2.0/mlflow/model-versions/search?filter=" + urllib.parse.quote(query), token=viewer)
    assert r.status == 200, r
    assert [(v["version"], v["current_stage"]) for v in r.json()["model_versions"]] == [("2", "Production")]
    refused_as_invalid(steward.get("/api/2.0/mlflow/model-versions/search?filter=" + urllib.parse.quote(f"{field} = 'Retired'"),
                                   token=viewer),
                       f"model-versions/search {field} = 'Retired'")


@pytest.mark.parametrize("alias", ["a.b", "a b", "latest", "v1", "V12", "x" * 256])
def test_alias_names_mlflow_refuses_are_refused(steward, alias):
    """_validate_model_alias_name: `^[\\w\\-]*$`, at most 255 characters;
    _validate_model_alias_name_reserved: 'latest' and `^[vV]\\d+$` are reserved."""
    name = new_model(steward)
    refused_as_invalid(steward.post("/api/2.0/mlflow/registered-models/alias",
                                    {"name": name, "alias": alias, "version": "1"}), f"alias {alias[:20]!r}")
    aliases = steward.get(f"/api/v1/models/{name}/versions/1").json().get("aliases", [])
    assert alias not in aliases


@pytest.mark.parametrize("alias,accepted", [("e\u0301", False), ("\u24b6", False), ("\u00e9", True), ("\u65e5\u672c", True),
                                            ("\u0661\u0662x", True)])
def test_alias_characters_follow_pythons_word_class(steward, alias, accepted):
    """`\\w` in MLflow's alias pattern is Python's: letters and numbers, not combining marks
    (e + U+0301) nor symbols Unicode calls alphabetic (U+24B6, a circled A)."""
    from mlflow.utils.validation import _validate_model_alias_name
    try:
        _validate_model_alias_name(alias)
        mlflow_accepts = True
    except Exception:  # mlflow.exceptions.MlflowException
        mlflow_accepts = False
    assert mlflow_accepts == accepted, "the expectation no longer matches the installed mlflow"
    name = new_model(steward)
    response = steward.post("/api/2.0/mlflow/registered-models/alias", {"name": name, "alias": alias, "version": "1"})
    if accepted:
        assert response.status == 200, response
    else:
        refused_as_invalid(response, f"alias {alias!r}")


def test_lengths_count_code_points_as_python_does(steward):
    """MLflow's limits are `len(str)`: code points. 126 copies of e + U+0301 are 252 code
    points (126 characters as a person reads them): over the 250 a key may have."""
    key = "e\u0301" * 126
    experiment_id = new_experiment(steward)
    run = steward.post("/api/2.0/mlflow/runs/create", {"experiment_id": experiment_id}).json()["run"]["info"]
    refused_as_invalid(steward.post("/api/2.0/mlflow/runs/log-parameter", {"run_id": run["run_id"], "key": key, "value": "1"}),
                       "param key of 252 code points")
    refused_as_invalid(steward.post("/api/2.0/mlflow/experiments/set-experiment-tag",
                                    {"experiment_id": experiment_id, "key": "k", "value": "e\u0301" * 10_001}),
                       "experiment tag value of 20,002 code points")
    params = steward.get(f"/api/2.0/mlflow/runs/get?run_id={run['run_id']}").json()["run"]["data"].get("params", [])
    assert params == []
