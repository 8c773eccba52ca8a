"""Running the entry point as a Job would, and reading a logged run back through the mlflow client."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import onnx

from steward_training.data import REPO_ROOT

EXPECTED_ARTIFACTS = {"model.onnx", "model.int8.onnx", "vocab.txt", "steward.json", "model_card.md",
                      "reference_profile.json", "hf"}
FINAL_METRICS = ("accuracy", "f1", "precision", "recall", "roc_auc", "confusion_tn", "confusion_fp",
                 "confusion_fn", "confusion_tp", "latency_p50_ms", "latency_p99_ms", "eval_rows",
                 "parity_max_abs_diff", "int8_accuracy")


def run_entrypoint(env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    """``python -m steward_training.entrypoint`` with the working directory ``training/``."""
    return subprocess.run([sys.executable, "-m", "steward_training.entrypoint"], cwd=REPO_ROOT / "training",
                          env=env, capture_output=True, text=True, timeout=timeout)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("steward-training: error:")]


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def check_logged_run(client, run_id: str, model_name: str, download_dir: Path, dataset_sha256: str) -> dict:
    """Everything a training run must leave in the tracking server, read back with the stock client.

    Returns the final metrics. Raises AssertionError on the first thing missing."""
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED", run.info.status
    metrics = run.data.metrics
    for key in FINAL_METRICS:
        assert key in metrics, f"metric {key} not logged; have {sorted(metrics)}"
    assert metrics["eval_rows"] == 1275
    assert metrics["parity_max_abs_diff"] <= 1e-4
    params = run.data.params
    for key in ("epochs", "batch_size", "learning_rate", "max_length", "seed", "base_model", "dataset_sha256"):
        assert key in params, f"param {key} not logged"
    assert params["dataset_sha256"] == dataset_sha256

    history = client.get_metric_history(run_id, "train_loss")
    steps = sorted(m.step for m in history)
    assert steps == list(range(1, len(steps) + 1)), "one train_loss value per step, from step 1"
    assert int(metrics["train_steps"]) == len(steps)

    inputs = run.inputs.dataset_inputs
    assert inputs, "no dataset input logged"
    train_input = inputs[0]
    tags = {t.key: t.value for t in train_input.tags}
    assert tags.get("mlflow.data.context") == "train"
    assert tags.get("steward.dataset.sha256") == dataset_sha256
    assert dataset_sha256.startswith(train_input.dataset.digest)
    profile = json.loads(train_input.dataset.profile)
    assert set(profile["reference_profile"]["features"]) == {"char_length", "word_count", "oov_share", "non_letter_share"}

    listed = {Path(f.path).name for f in client.list_artifacts(run_id, "model")}
    assert EXPECTED_ARTIFACTS <= listed, f"model/ lacks {EXPECTED_ARTIFACTS - listed}"
    local = Path(client.download_artifacts(run_id, "model", str(download_dir)))
    meta = json.loads((local / "steward.json").read_text())
    assert meta["format"] == 1 and meta["labels"] == ["negative", "positive"] and meta["onnx"] == "model.onnx"
    for name in ("model.onnx", "vocab.txt", "model.int8.onnx"):
        assert meta["sha256"][name] == sha256(local / name), f"{name} bytes differ from steward.json's sha256"
    graph = onnx.load(str(local / "model.onnx")).graph
    assert [i.name for i in graph.input] == ["input_ids", "attention_mask"]
    assert [o.name for o in graph.output] == ["logits"]

    versions = client.search_model_versions(f"name='{model_name}'")
    mine = [v for v in versions if v.run_id == run_id]
    assert len(mine) == 1, f"expected one version from run {run_id}, found {len(mine)}"
    assert mine[0].source.rstrip("/").endswith("/model")
    assert mine[0].status == "READY"
    assert run.data.tags.get("steward.model_version") == str(mine[0].version)
    return metrics
