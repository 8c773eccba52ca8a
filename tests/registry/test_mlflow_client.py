"""Acceptance for the Registry issue: the stock mlflow client, unchanged, against stewardd.

- The workload of the issue's Acceptance, through the stock client: experiment, start_run,
  params, metrics with steps, a batch of 1000 metrics, log_artifact of a file and of a folder,
  end_run, search_runs with filter and order_by, get_metric_history, register_model from
  runs:/<id>/model, alias set and lookup, stage transition, and artifact download with a byte
  comparison.
- Bad input through raw HTTP: unknown run ids, wrong types, missing fields, oversized batches,
  path traversal, unknown stages. Each expects MLflow's own status and error_code, and each
  checks that nothing was written.
- Concurrency: 8 writers log metrics to one run, and the server's count must equal the count sent.

The expected statuses and error codes are those of MLflow's own server (3.17.2), which this
suite also passes (see conftest.py, STEWARD_TEST_AGAINST_MLFLOW).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric
from mlflow.exceptions import MlflowException

MLFLOW = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
UNKNOWN_RUN_ID = "0123456789abcdef0123456789abcdef"
CONCURRENT_WRITERS = 8
CONCURRENCY_SECONDS = float(os.environ.get("STEWARD_TEST_CONCURRENCY_SECONDS", "5"))
# register_model polls for READY for up to this long (the client default is 300 s).
AWAIT_READY_S = 15

# Stages are deprecated in mlflow 3 but are part of Steward's contract.
pytestmark = pytest.mark.filterwarnings("ignore:.*transition_model_version_stage.*:FutureWarning")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def now_ms() -> int:
    return int(time.time() * 1000)


def assert_error(response, status: int, error_code: str) -> dict:
    """Checks an MLflow-style error answer: the HTTP status, the error_code and a message."""
    assert response.status_code == status, f"{response.status_code} {response.text[:500]}"
    body = response.json()
    assert body.get("error_code") == error_code, body
    assert isinstance(body.get("message"), str) and body["message"], body
    return body


def assert_raw_error(status_and_body, status: int, error_code: str) -> None:
    import json

    got_status, raw = status_and_body
    assert got_status == status, f"{got_status} {raw[:500]!r}"
    body = json.loads(raw)
    assert body.get("error_code") == error_code, body
    assert body.get("message"), body


def artifact_base(run) -> str:
    """The path of a run's artifact root under /api/2.0/mlflow-artifacts/artifacts/."""
    uri = run.info.artifact_uri
    if uri.startswith("mlflow-artifacts:"):
        rest = uri[len("mlflow-artifacts:"):]
        if rest.startswith("//"):  # mlflow-artifacts://host:port/path
            rest = rest[2:].split("/", 1)[1] if "/" in rest[2:] else ""
        return rest.strip("/")
    marker = ARTIFACTS + "/"
    if marker in uri:
        return uri.split(marker, 1)[1].strip("/")
    pytest.fail(f"run artifact_uri {uri!r} is served neither as mlflow-artifacts: nor through {ARTIFACTS}")


def tree_bytes(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def files_on_disk_containing(root: Path | None, payload: bytes) -> list[Path]:
    """Files under the server's artifact root whose content is `payload` (names may be digests)."""
    if root is None or not root.exists():
        return []
    found = []
    for path in root.rglob("*"):
        if path.is_file() and path.stat().st_size == len(payload) and path.read_bytes() == payload:
            found.append(path)
    return found


# --------------------------------------------------------------------------- the workload

@dataclass(frozen=True)
class Workload:
    experiment_id: str
    experiment_name: str
    run_id: str
    report_name: str
    report: bytes
    model_files: dict[str, bytes]
    batch: list[Metric]


@pytest.fixture(scope="module")
def workload(steward, client, tmp_path_factory) -> Workload:
    """The issue's acceptance sequence, logged once through the stock client (fluent API where
    a training script would use it, MlflowClient for the batch)."""
    source = tmp_path_factory.mktemp("source")
    report = source / "report.txt"
    report.write_bytes(b"evaluation report\n" + os.urandom(64).hex().encode() + b"\n")
    model = source / "model"
    (model / "hf").mkdir(parents=True)
    # A file named MLmodel makes register_model("runs:/<id>/model") resolve through a plain
    # artifact listing (the client checks for model/MLmodel); without one, mlflow 3.x looks for
    # a logged model through /logged-models/search instead.
    (model / "MLmodel").write_text("artifact_path: model\nflavors: {}\n")
    (model / "model.onnx").write_bytes(os.urandom(1 << 20) + b"\x00tail")
    (model / "vocab.txt").write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\nthe\ngood\nbad\n")
    (model / "steward.json").write_text('{"format": 1, "labels": ["negative", "positive"]}\n')
    (model / "hf" / "config.json").write_text('{"hidden_size": 32}\n')

    name = unique("acceptance")
    experiment_id = mlflow.create_experiment(name)
    mlflow.set_experiment(experiment_id=experiment_id)
    run = mlflow.start_run(run_name="acceptance-run")
    try:
        run_id = run.info.run_id
        mlflow.log_param("learning_rate", 0.001)
        mlflow.log_params({"epochs": 3, "optimizer": "adamw", "dataset": "rotten@1"})
        for step in range(5):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metrics({"accuracy": 0.91, "f1": 0.88}, step=4)
        ts = now_ms()
        batch = [Metric(f"batch_{i % 10}", float(i), ts, i // 10) for i in range(1000)]
        client.log_batch(run_id, metrics=batch)
        mlflow.set_tag("team", "ml")
        mlflow.log_artifact(str(report))
        mlflow.log_artifacts(str(model), artifact_path="model")
    except BaseException:
        mlflow.end_run(status="FAILED")
        raise
    mlflow.end_run()
    return Workload(experiment_id=experiment_id, experiment_name=name, run_id=run_id,
                    report_name=report.name, report=report.read_bytes(),
                    model_files=tree_bytes(model), batch=batch)


def test_experiment_lookup_and_duplicate(workload, client, api):
    experiment = client.get_experiment_by_name(workload.experiment_name)
    assert experiment is not None
    assert experiment.experiment_id == workload.experiment_id
    assert experiment.lifecycle_stage == "active"
    assert client.get_experiment(workload.experiment_id).name == workload.experiment_name
    assert client.get_experiment_by_name(unique("missing")) is None

    with pytest.raises(MlflowException) as raised:
        client.create_experiment(workload.experiment_name)
    assert raised.value.error_code == "RESOURCE_ALREADY_EXISTS"
    assert_error(api.post(f"{MLFLOW}/experiments/create", {"name": workload.experiment_name}),
                 400, "RESOURCE_ALREADY_EXISTS")


def test_run_is_finished_with_params_metrics_and_tags(workload, client):
    run = client.get_run(workload.run_id)
    assert run.info.status == "FINISHED"
    assert run.info.lifecycle_stage == "active"
    assert run.info.experiment_id == workload.experiment_id
    assert run.info.end_time is not None and run.info.end_time >= run.info.start_time
    assert run.info.run_name == "acceptance-run"
    assert run.data.params == {"learning_rate": "0.001", "epochs": "3", "optimizer": "adamw",
                               "dataset": "rotten@1"}
    # data.metrics holds the latest value of each key (highest step).
    assert run.data.metrics["loss"] == pytest.approx(0.2)
    assert run.data.metrics["accuracy"] == pytest.approx(0.91)
    assert run.data.metrics["f1"] == pytest.approx(0.88)
    for k in range(10):
        assert run.data.metrics[f"batch_{k}"] == float(990 + k)
    assert run.data.tags["team"] == "ml"
    assert run.data.tags.get("mlflow.runName") == "acceptance-run"


def test_metric_history_with_steps(workload, client):
    history = sorted(client.get_metric_history(workload.run_id, "loss"), key=lambda m: m.step)
    assert [m.step for m in history] == [0, 1, 2, 3, 4]
    assert [m.value for m in history] == pytest.approx([1.0, 0.5, 1 / 3, 0.25, 0.2])
    assert all(m.key == "loss" and m.timestamp > 0 for m in history)
    assert client.get_metric_history(workload.run_id, "never-logged") == []


def test_batch_of_1000_metrics_is_complete(workload, client):
    total = 0
    for k in range(10):
        history = client.get_metric_history(workload.run_id, f"batch_{k}")
        got = sorted((m.step, m.value, m.timestamp) for m in history)
        expected = sorted((m.step, m.value, m.timestamp) for m in workload.batch if m.key == f"batch_{k}")
        assert got == expected
        total += len(got)
    assert total == 1000


def test_search_runs_with_filter_and_order_by(steward, client):
    experiment_id = client.create_experiment(unique("search"))
    rows = [("0.01", 0.70), ("0.01", 0.90), ("0.1", 0.95), ("0.01", 0.50), ("0.01", None), ("0.01", 0.80)]
    run_ids = []
    for i, (lr, accuracy) in enumerate(rows):
        run = client.create_run(experiment_id, run_name=f"search-{i}")
        client.log_param(run.info.run_id, "lr", lr)
        if accuracy is not None:
            client.log_metric(run.info.run_id, "accuracy", accuracy, step=0)
        client.set_terminated(run.info.run_id)
        run_ids.append(run.info.run_id)
    client.delete_run(run_ids[5])  # deleted runs are not found by an ACTIVE_ONLY search

    found = client.search_runs([experiment_id], filter_string="metrics.accuracy > 0.6 and params.lr = '0.01'",
                               order_by=["metrics.accuracy DESC"])
    assert [r.info.run_id for r in found] == [run_ids[1], run_ids[0]]
    found = client.search_runs([experiment_id], filter_string="metrics.accuracy >= 0.5 AND params.lr = '0.01'",
                               order_by=["metrics.accuracy ASC"])
    assert [r.info.run_id for r in found] == [run_ids[3], run_ids[0], run_ids[1]]
    assert found[0].data.params["lr"] == "0.01" and found[0].data.metrics["accuracy"] == pytest.approx(0.5)

    # The fluent API returns a DataFrame (and sends max_results=10000).
    frame = mlflow.search_runs(experiment_ids=[experiment_id], filter_string="params.lr = '0.01'",
                               order_by=["metrics.accuracy DESC"])
    assert set(frame["run_id"]) == {run_ids[0], run_ids[1], run_ids[3], run_ids[4]}
    assert list(frame["run_id"][:3]) == [run_ids[1], run_ids[0], run_ids[3]]
    assert list(frame["metrics.accuracy"][:3]) == pytest.approx([0.9, 0.7, 0.5])

    # Paging: the client follows next_page_token.
    first = client.search_runs([experiment_id], filter_string="params.lr = '0.01'",
                               order_by=["metrics.accuracy DESC"], max_results=2)
    assert [r.info.run_id for r in first] == [run_ids[1], run_ids[0]]
    assert first.token
    second = client.search_runs([experiment_id], filter_string="params.lr = '0.01'",
                                order_by=["metrics.accuracy DESC"], max_results=2, page_token=first.token)
    assert {r.info.run_id for r in second} == {run_ids[3], run_ids[4]}

    deleted = client.search_runs([experiment_id], run_view_type=mlflow.entities.ViewType.DELETED_ONLY)
    assert [r.info.run_id for r in deleted] == [run_ids[5]]
    assert client.get_run(run_ids[5]).info.lifecycle_stage == "deleted"


def test_list_artifacts(workload, client):
    root = {f.path: f for f in client.list_artifacts(workload.run_id)}
    assert set(root) == {workload.report_name, "model"}
    assert not root[workload.report_name].is_dir
    assert root[workload.report_name].file_size == len(workload.report)
    assert root["model"].is_dir

    model = {f.path: f for f in client.list_artifacts(workload.run_id, "model")}
    expected = {f"model/{name}" for name in workload.model_files if "/" not in name} | {"model/hf"}
    assert set(model) == expected
    assert model["model/hf"].is_dir
    assert model["model/model.onnx"].file_size == len(workload.model_files["model.onnx"])


def test_download_artifacts_back_byte_for_byte(workload, client, tmp_path):
    folder = mlflow.artifacts.download_artifacts(run_id=workload.run_id, artifact_path="model",
                                                 dst_path=str(tmp_path / "folder"))
    assert tree_bytes(Path(folder)) == workload.model_files

    single = client.download_artifacts(workload.run_id, workload.report_name, str(tmp_path))
    assert Path(single).read_bytes() == workload.report


def test_register_model_alias_and_stage(workload, client, tmp_path):
    name = unique("sentiment")
    first = mlflow.register_model(f"runs:/{workload.run_id}/model", name, await_registration_for=AWAIT_READY_S)
    assert (first.name, first.version, first.status) == (name, "1", "READY")
    assert first.run_id == workload.run_id
    assert first.source.rstrip("/").endswith("/model")
    second = mlflow.register_model(f"runs:/{workload.run_id}/model", name, await_registration_for=AWAIT_READY_S)
    assert (second.version, second.status) == ("2", "READY")

    client.set_registered_model_alias(name, "champion", first.version)
    by_alias = client.get_model_version_by_alias(name, "champion")
    assert (by_alias.name, by_alias.version, by_alias.run_id) == (name, "1", workload.run_id)
    assert "champion" in by_alias.aliases

    moved = client.transition_model_version_stage(name, first.version, "Production")
    assert moved.current_stage == "Production"
    moved = client.transition_model_version_stage(name, second.version, "Production",
                                                  archive_existing_versions=True)
    assert moved.current_stage == "Production"
    assert client.get_model_version(name, first.version).current_stage == "Archived"
    assert client.get_model_version(name, second.version).current_stage == "Production"

    client.set_registered_model_alias(name, "champion", second.version)
    assert client.get_model_version_by_alias(name, "champion").version == "2"
    stages = {mv.version: mv.current_stage for mv in client.search_model_versions(f"name = '{name}'")}
    assert stages == {"1": "Archived", "2": "Production"}

    # The version's source points at the run's model folder: download it back through it.
    folder = mlflow.artifacts.download_artifacts(artifact_uri=second.source, dst_path=str(tmp_path))
    assert tree_bytes(Path(folder)) == workload.model_files


# --------------------------------------------------------------------------- bad input

@pytest.fixture(scope="module")
def scratch_experiment(steward, client) -> str:
    return client.create_experiment(unique("bad-input"))


@pytest.fixture
def fresh_run(client, scratch_experiment):
    return client.create_run(scratch_experiment, run_name=unique("bad"))


def test_unknown_run_id_is_404(api, client):
    assert_error(api.get(f"{MLFLOW}/runs/get", run_id=UNKNOWN_RUN_ID), 404, "RESOURCE_DOES_NOT_EXIST")
    metric = {"run_id": UNKNOWN_RUN_ID, "key": "k", "value": 1.0, "timestamp": now_ms(), "step": 0}
    assert_error(api.post(f"{MLFLOW}/runs/log-metric", metric), 404, "RESOURCE_DOES_NOT_EXIST")
    batch = {"run_id": UNKNOWN_RUN_ID, "metrics": [{"key": "k", "value": 1.0, "timestamp": now_ms(), "step": 0}]}
    assert_error(api.post(f"{MLFLOW}/runs/log-batch", batch), 404, "RESOURCE_DOES_NOT_EXIST")
    with pytest.raises(MlflowException) as raised:
        client.get_run(UNKNOWN_RUN_ID)
    assert raised.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    # Nothing was created by the writes.
    assert_error(api.get(f"{MLFLOW}/runs/get", run_id=UNKNOWN_RUN_ID), 404, "RESOURCE_DOES_NOT_EXIST")


def test_wrong_types_are_400_and_write_nothing(api, client, fresh_run):
    run_id = fresh_run.info.run_id
    good = {"run_id": run_id, "key": "typed", "value": 1.0, "timestamp": now_ms(), "step": 0}
    assert_error(api.post(f"{MLFLOW}/runs/log-metric", {**good, "value": "abc"}), 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.post(f"{MLFLOW}/runs/log-metric", {**good, "step": "x"}), 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.post(f"{MLFLOW}/runs/log-parameter", {"run_id": run_id, "key": "typed_param", "value": 5}),
                 400, "INVALID_PARAMETER_VALUE")

    # log-batch: one bad entry refuses the whole batch, whichever field it is in.
    ts = now_ms()
    fine = {"key": "typed", "value": 1.0, "timestamp": ts, "step": 0}
    for bad in ({**fine, "value": "abc"}, {**fine, "value": True}, {**fine, "step": "x"}, {**fine, "step": 1.5},
                {**fine, "key": 7}, {"key": "typed", "timestamp": ts}):
        body = assert_error(api.post(f"{MLFLOW}/runs/log-batch", {"run_id": run_id, "metrics": [fine, bad]}),
                            400, "INVALID_PARAMETER_VALUE")
        assert body["message"], bad
    assert_error(api.post(f"{MLFLOW}/runs/log-batch", {"run_id": run_id, "metrics": {"key": "typed"}}),
                 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.post(f"{MLFLOW}/runs/log-batch", {"run_id": run_id, "params": [{"key": "typed_param", "value": 5}]}),
                 400, "INVALID_PARAMETER_VALUE")

    run = client.get_run(run_id)
    assert "typed" not in run.data.metrics
    assert "typed_param" not in run.data.params
    assert client.get_metric_history(run_id, "typed") == []


def test_latest_value_is_by_step_then_timestamp_then_value_across_batches(api, client, fresh_run):
    run_id = fresh_run.info.run_id
    ts = now_ms()

    def log(*points):
        metrics = [{"key": k, "value": v, "timestamp": t, "step": s} for k, v, t, s in points]
        response = api.post(f"{MLFLOW}/runs/log-batch", {"run_id": run_id, "metrics": metrics})
        assert response.status_code == 200, response.text

    # Within one batch: the highest step wins for a, the later timestamp at equal step for b,
    # the larger value at equal step and timestamp for c; int64 fields may come as strings.
    log(("a", 1.0, ts, 5), ("a", 2.0, ts, 3), ("b", 1.0, ts + 1, 2), ("b", 3.0, ts, 2),
        ("c", 4.0, str(ts), "1"), ("c", 6.0, ts, 1))
    # A later batch with older points changes nothing; a newer one replaces.
    log(("a", 9.0, ts, 4), ("b", 0.5, ts, 2), ("c", 5.0, ts, 1), ("d", 1.0, ts, 0))
    log(("d", 2.0, ts, 1))
    assert client.get_run(run_id).data.metrics == {"a": 1.0, "b": 1.0, "c": 6.0, "d": 2.0}
    assert len(client.get_metric_history(run_id, "a")) == 3


def test_missing_fields_are_400_and_write_nothing(api, client, fresh_run):
    run_id = fresh_run.info.run_id
    assert_error(api.post(f"{MLFLOW}/runs/log-metric", {"run_id": run_id, "key": "partial", "timestamp": now_ms()}),
                 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.get(f"{MLFLOW}/runs/get"), 400, "INVALID_PARAMETER_VALUE")
    assert client.get_metric_history(run_id, "partial") == []


def test_unknown_json_fields_are_ignored(api, client, fresh_run):
    body = {"run_id": fresh_run.info.run_id, "key": "extra", "value": "yes", "not_a_field": {"nested": [1, 2]}}
    response = api.post(f"{MLFLOW}/runs/set-tag", body)
    assert response.status_code == 200, response.text
    assert client.get_run(fresh_run.info.run_id).data.tags["extra"] == "yes"


def test_awkward_text_round_trips_through_answers(client, fresh_run):
    awkward = 'line1\nline2\t"quoted" back\\slash \u00e9 \U0001f642 \u0001\u001f </script> \u2028'
    client.set_tag(fresh_run.info.run_id, "awkward", awkward)
    client.log_param(fresh_run.info.run_id, "awkward", awkward)
    run = client.get_run(fresh_run.info.run_id)
    assert run.data.tags["awkward"] == awkward
    assert run.data.params["awkward"] == awkward


def test_oversized_batches_are_400_and_write_nothing(api, client, fresh_run):
    run_id = fresh_run.info.run_id
    ts = now_ms()
    params = [{"key": "batch_param", "value": "v"}]
    too_many_metrics = [{"key": "over", "value": float(i), "timestamp": ts, "step": i} for i in range(1001)]
    body = assert_error(api.post(f"{MLFLOW}/runs/log-batch", {"run_id": run_id, "metrics": too_many_metrics,
                                                               "params": params}),
                        400, "INVALID_PARAMETER_VALUE")
    assert "1000" in body["message"]
    assert_error(api.post(f"{MLFLOW}/runs/log-batch",
                          {"run_id": run_id, "params": [{"key": f"p{i}", "value": "v"} for i in range(101)],
                           "metrics": too_many_metrics[:3]}),
                 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.post(f"{MLFLOW}/runs/log-batch",
                          {"run_id": run_id, "tags": [{"key": f"t{i}", "value": "v"} for i in range(101)],
                           "metrics": too_many_metrics[:3]}),
                 400, "INVALID_PARAMETER_VALUE")

    run = client.get_run(run_id)
    assert run.data.metrics == {}
    assert run.data.params == {}
    assert not any(key.startswith("t") and key[1:].isdigit() for key in run.data.tags)
    assert client.get_metric_history(run_id, "over") == []

    # The limit itself is allowed.
    response = api.post(f"{MLFLOW}/runs/log-batch", {"run_id": run_id, "metrics": too_many_metrics[:1000]})
    assert response.status_code == 200, response.text
    assert len(client.get_metric_history(run_id, "over")) == 1000


def test_path_traversal_in_artifact_paths_is_400_and_writes_nothing(steward, api, client, fresh_run):
    base = artifact_base(fresh_run)
    tag = uuid.uuid4().hex[:12]
    payload = f"traversal payload {tag}\n".encode()
    attempts = [
        f"{ARTIFACTS}/{base}/../../../evil-{tag}.txt",
        f"{ARTIFACTS}/{base}/sub/../../../../evil-{tag}.txt",
        f"{ARTIFACTS}/{base}/%2E%2E/%2E%2E/%2E%2E/evil-{tag}.txt",
        f"{ARTIFACTS}/{base}/..%2F..%2F..%2Fevil-{tag}.txt",
        f"{ARTIFACTS}//tmp/evil-{tag}.txt",
    ]
    for path in attempts:
        status, raw = api.send("PUT", path, body=payload, headers={"Content-Type": "text/plain"})
        assert_raw_error((status, raw), 400, "INVALID_PARAMETER_VALUE")

    # Reading and listing outside the store are refused as well.
    for path in (f"{ARTIFACTS}/{base}/../../../../../../etc/passwd",
                 f"{ARTIFACTS}/{base}/%2E%2E/%2E%2E/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd",
                 f"{ARTIFACTS}//etc/passwd"):
        assert_raw_error(api.send("GET", path), 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.get(ARTIFACTS, path=f"{base}/../.."), 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.get(ARTIFACTS, path="/etc"), 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.get(f"{MLFLOW}/artifacts/list", run_id=fresh_run.info.run_id, path="../.."),
                 400, "INVALID_PARAMETER_VALUE")

    # Nothing was written: the run has no artifacts, the resolved targets do not exist, and no file
    # with the payload exists in the server's artifact store (when the test knows where it is).
    assert client.list_artifacts(fresh_run.info.run_id) == []
    experiment_dir = base.split("/")[0]
    for target in (f"evil-{tag}.txt", f"{experiment_dir}/evil-{tag}.txt"):
        response = api.get(f"{ARTIFACTS}/{target}")
        assert response.status_code == 404, (target, response.status_code, response.text[:200])
    assert files_on_disk_containing(steward.artifact_root, payload) == []
    assert not Path(f"/tmp/evil-{tag}.txt").exists()


def test_nul_in_artifact_path_is_refused(steward_only, api, client, fresh_run):
    base = artifact_base(fresh_run)
    payload = f"nul payload {uuid.uuid4().hex}\n".encode()
    status, raw = api.send("PUT", f"{ARTIFACTS}/{base}/a%00b.txt", body=payload)
    assert_raw_error((status, raw), 400, "INVALID_PARAMETER_VALUE")
    assert client.list_artifacts(fresh_run.info.run_id) == []
    assert files_on_disk_containing(steward_only.artifact_root, payload) == []


@pytest.fixture
def model_version(client, fresh_run):
    name = unique("stage-check")
    client.create_registered_model(name)
    version = client.create_model_version(name, source=f"{fresh_run.info.artifact_uri}/model",
                                          run_id=fresh_run.info.run_id, await_creation_for=AWAIT_READY_S)
    assert version.status == "READY"
    return version


def test_unknown_stage_is_400_and_changes_nothing(api, client, model_version):
    name, version = model_version.name, model_version.version
    assert_error(api.post(f"{MLFLOW}/model-versions/transition-stage",
                          {"name": name, "version": version, "stage": "Bogus", "archive_existing_versions": False}),
                 400, "INVALID_PARAMETER_VALUE")
    with pytest.raises(MlflowException) as raised:
        client.transition_model_version_stage(name, version, "Shipped")
    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"
    assert client.get_model_version(name, version).current_stage == "None"


def test_unknown_registry_names_are_reported(api, model_version):
    assert_error(api.get(f"{MLFLOW}/registered-models/get", name=unique("no-such-model")),
                 404, "RESOURCE_DOES_NOT_EXIST")
    assert_error(api.get(f"{MLFLOW}/model-versions/get", name=model_version.name, version="99"),
                 404, "RESOURCE_DOES_NOT_EXIST")
    assert_error(api.post(f"{MLFLOW}/registered-models/alias",
                          {"name": model_version.name, "alias": "ghost", "version": "99"}),
                 404, "RESOURCE_DOES_NOT_EXIST")
    # MLflow answers an unknown alias with 400 INVALID_PARAMETER_VALUE (not 404).
    assert_error(api.get(f"{MLFLOW}/registered-models/alias", name=model_version.name, alias="ghost"),
                 400, "INVALID_PARAMETER_VALUE")


def test_requests_without_a_valid_token_are_refused(steward_only, api, api_with_token):
    name = unique("unauthenticated")
    for anonymous in (api_with_token(None), api_with_token("not-a-valid-token-0123456789")):
        assert anonymous.get(f"{MLFLOW}/experiments/get-by-name", experiment_name=name).status_code == 401
        assert anonymous.post(f"{MLFLOW}/experiments/create", {"name": name}).status_code == 401
        status, _ = anonymous.send("PUT", f"{ARTIFACTS}/0/unauthenticated.txt", body=b"x")
        assert status == 401
    assert_error(api.get(f"{MLFLOW}/experiments/get-by-name", experiment_name=name), 404, "RESOURCE_DOES_NOT_EXIST")


# --------------------------------------------------------------------------- concurrency

def test_concurrent_writers_lose_nothing(steward, client, scratch_experiment):
    run_id = client.create_run(scratch_experiment, run_name=unique("concurrent")).info.run_id
    start = threading.Barrier(CONCURRENT_WRITERS)
    sent: list[list[float]] = [[] for _ in range(CONCURRENT_WRITERS)]
    errors: list[BaseException] = []

    def writer(index: int) -> None:
        try:
            writer_client = MlflowClient(tracking_uri=steward.url)
            start.wait()
            deadline = time.monotonic() + CONCURRENCY_SECONDS
            i = 0
            while time.monotonic() < deadline:
                if i % 5 == 4:  # every fifth call is a batch of 10
                    values = [index * 1_000_000 + i + j / 100 for j in range(10)]
                    writer_client.log_batch(run_id, metrics=[Metric("concurrent", v, now_ms(), i) for v in values])
                    sent[index].extend(values)
                else:
                    value = float(index * 1_000_000 + i)
                    writer_client.log_metric(run_id, "concurrent", value, step=i)
                    sent[index].append(value)
                i += 1
        except BaseException as error:  # reported by the main thread
            errors.append(error)
            start.abort()

    threads = [threading.Thread(target=writer, args=(n,), name=f"writer-{n}") for n in range(CONCURRENT_WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors

    expected = sorted(v for values in sent for v in values)
    history = client.get_metric_history(run_id, "concurrent")
    assert len(history) == len(expected), f"server has {len(history)} values, {len(expected)} were sent"
    assert sorted(m.value for m in history) == pytest.approx(expected)
    assert all(len(values) > 0 for values in sent)
