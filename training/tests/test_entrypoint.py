"""The entry point's contract: configuration by environment, one clear error line, exit codes."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from conftest import new_run
from helpers import error_lines, run_entrypoint

from steward_training.data import dataset_sha256, sha256_file
from steward_training.entrypoint import ConfigError, config_from_env


def base_env(dataset_dir):
    return {"MLFLOW_TRACKING_URI": "http://127.0.0.1:9", "STEWARD_DATASET_URI": f"file://{dataset_dir}",
            "STEWARD_MODEL_NAME": "sentiment"}


@pytest.mark.parametrize("missing", ["MLFLOW_TRACKING_URI", "STEWARD_DATASET_URI", "STEWARD_MODEL_NAME"])
def test_required_variables_are_named(dataset_dir, missing):
    env = base_env(dataset_dir)
    del env[missing]
    with pytest.raises(ConfigError, match=missing):
        config_from_env(env)


def test_model_name_with_a_quote_is_refused(dataset_dir):
    with pytest.raises(ConfigError, match="STEWARD_MODEL_NAME"):
        config_from_env({**base_env(dataset_dir), "STEWARD_MODEL_NAME": "a'b"})


def test_config_from_env_reads_the_contract(dataset_dir, tmp_path):
    env = {**base_env(dataset_dir), "MLFLOW_RUN_ID": "abc", "STEWARD_PARAMS": '{"epochs": 4, "seed": 7}',
           "STEWARD_DATASET_NAME": "rt", "STEWARD_DATASET_VERSION": "3",
           "STEWARD_WARM_START_URI": "file:///prev/model/hf", "STEWARD_OUTPUT_DIR": str(tmp_path)}
    config = config_from_env(env)
    assert (config.run_id, config.dataset_name, config.dataset_version) == ("abc", "rt", "3")
    assert config.params.epochs == 4 and config.params.seed == 7 and config.params.learning_rate == 1e-3
    assert config.base_model == "tiny" and config.output_dir == tmp_path
    assert config.warm_start_uri == "file:///prev/model/hf"


def test_bad_configuration_exits_2_with_one_prefixed_line(dataset_dir, clean_env):
    env = {**clean_env, **base_env(dataset_dir), "STEWARD_PARAMS": '{"epoch": 3}'}
    result = run_entrypoint(env, timeout=120)
    assert result.returncode == 2
    assert error_lines(result.stderr) == [
        line for line in result.stderr.splitlines() if line.strip()]  # nothing else on stderr
    assert "STEWARD_PARAMS" in result.stderr and "epoch" in result.stderr
    other = run_entrypoint({**clean_env, **base_env(dataset_dir), "STEWARD_BASE_MODEL": "/no/such/model"}, timeout=120)
    assert other.returncode == 2 and "STEWARD_BASE_MODEL" in error_lines(other.stderr)[0]


def rewrite_manifest(directory):
    """Make the manifest agree with edited split files, so that only validation can object."""
    manifest = json.loads((directory / "manifest.json").read_text())
    for split, entry in manifest["splits"].items():
        entry["sha256"] = sha256_file(directory / entry["file"])
    manifest["sha256"] = dataset_sha256([manifest["splits"][s]["sha256"] for s in ("train", "validation", "test")])
    (directory / "manifest.json").write_text(json.dumps(manifest))


def test_a_dataset_that_fails_validation_fails_the_run(dataset_dir, tmp_path, clean_env, mlflow_client, mlflow_store):
    bad = tmp_path / "bad"
    shutil.copytree(dataset_dir, bad)
    with open(bad / "train.csv", "a", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([["", "positive"], ["so-so", "neutral"]])
    rewrite_manifest(bad)
    run_id = new_run(mlflow_client, mlflow_store["artifacts"], "sentiment-failures")
    env = {**clean_env, **base_env(bad), "MLFLOW_TRACKING_URI": mlflow_store["tracking_uri"], "MLFLOW_RUN_ID": run_id}
    result = run_entrypoint(env, timeout=180)
    assert result.returncode == 1
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and "fails validation" in lines[0] and "empty text" in lines[0] and "neutral" in lines[0]
    run = mlflow_client.get_run(run_id)
    assert run.info.status == "FAILED"
    assert "fails validation" in run.data.tags["steward.error"]


def test_a_tampered_dataset_fails_the_run(dataset_dir, tmp_path, clean_env, mlflow_client, mlflow_store):
    bad = tmp_path / "tampered"
    shutil.copytree(dataset_dir, bad)
    (bad / "test.csv").write_text((bad / "test.csv").read_text().replace(",negative\n", ",positive\n", 1))
    run_id = new_run(mlflow_client, mlflow_store["artifacts"], "sentiment-failures")
    env = {**clean_env, **base_env(bad), "MLFLOW_TRACKING_URI": mlflow_store["tracking_uri"], "MLFLOW_RUN_ID": run_id}
    result = run_entrypoint(env, timeout=180)
    assert result.returncode == 1
    assert "does not match the manifest" in error_lines(result.stderr)[0]
    assert mlflow_client.get_run(run_id).info.status == "FAILED"


def test_uri_kinds():
    from steward_training.pipeline import is_local

    assert is_local("/data/rt/1") and is_local("rt/1") and is_local("file:///data/rt/1")
    assert not is_local("models:/sentiment/3") and not is_local("runs:/abc/model")
    assert not is_local("mlflow-artifacts:/1/abc/artifacts/model") and not is_local("gs://bucket/rt/1")
