"""The tiny configuration end to end through the entry point, logged to an in-process MLflow store.

This is the CI model: it must train in well under 2 minutes on 2 cores, clearly beat
the majority class (57.8% positive), export to ONNX with logits equal to PyTorch's,
and leave a complete run and a registered version behind. The same checks against a
running stewardd are in test_stewardd.py.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import new_run
from helpers import check_logged_run, error_lines, run_entrypoint

from steward_training.data import dataset_sha256, sha256_file
from steward_training.evaluate import onnx_logits, onnx_session
from steward_training.tokenizer import load_tokenizer
from steward_training.validation import read_csv

MODEL = "sentiment-tiny"
MAJORITY = 737 / 1275


@pytest.fixture(scope="module")
def tiny_run(dataset_dir, tmp_path_factory, mlflow_client, mlflow_store):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "STEWARD_")) or k == "STEWARD_ASSETS"}
    run_id = new_run(mlflow_client, mlflow_store["artifacts"], MODEL)
    env.update({
        "MLFLOW_TRACKING_URI": mlflow_store["tracking_uri"], "MLFLOW_RUN_ID": run_id,
        "STEWARD_DATASET_URI": f"file://{dataset_dir}", "STEWARD_DATASET_NAME": "rotten-tomatoes",
        "STEWARD_DATASET_VERSION": "1", "STEWARD_MODEL_NAME": MODEL, "STEWARD_BASE_MODEL": "tiny",
    })
    result = run_entrypoint(env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    download = tmp_path_factory.mktemp("download")
    manifest = json.loads((dataset_dir / "manifest.json").read_text())
    metrics = check_logged_run(mlflow_client, run_id, MODEL, download, manifest["sha256"])
    return {"run_id": run_id, "metrics": metrics, "model_dir": download / "model", "env": env,
            "summary": json.loads(result.stdout.splitlines()[-1])}


def test_tiny_model_clearly_beats_the_majority_class(tiny_run):
    m = tiny_run["metrics"]
    assert m["accuracy"] >= MAJORITY + 0.12, m["accuracy"]
    assert m["roc_auc"] >= 0.8
    assert m["confusion_tn"] + m["confusion_fp"] + m["confusion_fn"] + m["confusion_tp"] == 1275
    assert abs(m["int8_accuracy"] - m["accuracy"]) < 0.03
    assert tiny_run["summary"]["model_version"] == 1


def test_registering_again_from_the_same_run_adds_no_version(tiny_run, mlflow_client):
    from steward_training.tracking import Tracker

    again = Tracker(mlflow_client, tiny_run["run_id"]).register_version(MODEL)
    assert str(again.version) == "1"
    mine = [v for v in mlflow_client.search_model_versions(f"name='{MODEL}'") if v.run_id == tiny_run["run_id"]]
    assert len(mine) == 1


def test_onnx_matches_the_saved_pytorch_weights(tiny_run, dataset_dir):
    """Independent of the trainer's own parity check: reload hf/ and compare on mixed-length batches."""
    from transformers import AutoModelForSequenceClassification

    model_dir = tiny_run["model_dir"]
    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir / "hf")).eval()
    tokenizer = load_tokenizer(model_dir / "vocab.txt")
    texts = [r["text"] for r in read_csv(dataset_dir / "test.csv")[1][:96]] + ["", "ok", "A" * 600]
    ids = tokenizer(texts, truncation=True, max_length=128)["input_ids"]
    got = onnx_logits(onnx_session(model_dir / "model.onnx"), ids, batch_size=32)
    with torch.inference_mode():
        enc = tokenizer(texts, truncation=True, max_length=128, padding=True, return_tensors="pt")
        want = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).logits.numpy()
    assert np.abs(got - want).max() <= 1e-4


def test_model_vocab_is_the_bert_uncased_vocab_serving_uses(tiny_run, assets):
    from transformers import BertTokenizer

    model_dir = tiny_run["model_dir"]
    assert (model_dir / "vocab.txt").read_bytes() == (assets / "minilm" / "vocab.txt").read_bytes()
    meta = json.loads((model_dir / "steward.json").read_text())
    assert meta["do_lower_case"] is True and meta["max_length"] == 128 and meta["vocab"] == "vocab.txt"
    ours = load_tokenizer(model_dir / "vocab.txt")
    reference = BertTokenizer.from_pretrained(str(assets / "minilm"))
    texts = ["Crème brûlée at the Café!", "CJK 電影很好看", "emoji 😀👍🏽", "http://t.co/x?a=1&b=2",
             "  whitespace\t\nonly  ", "", "ÀÉÎÕÜ ñ ß", "don't @user #hashtag", "x" * 400]
    a = ours(texts, truncation=True, max_length=128)
    b = reference(texts, truncation=True, max_length=128)
    assert a["input_ids"] == b["input_ids"] and a["attention_mask"] == b["attention_mask"]
    assert a["input_ids"][0][0] == 101 and a["input_ids"][0][-1] == 102


def test_reference_profile_is_in_the_artifact(tiny_run, dataset_dir):
    profile = json.loads((tiny_run["model_dir"] / "reference_profile.json").read_text())
    assert profile["features"] == json.loads((dataset_dir / "profile.json").read_text())["features"]
    confidence = profile["predictions"]["confidence"]
    assert 0.5 <= confidence["min"] and confidence["max"] <= 1.0 and confidence["n"] == 1275
    assert profile["predictions"]["predicted_label"]["categories"] == ["negative", "positive"]


def with_production_split(dataset_dir: Path, rows, out: Path) -> Path:
    """A copy of a dataset version with a production split, as Steward builds one from labelled feedback."""
    shutil.copytree(dataset_dir, out)
    with open(out / "production.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_ALL)
        w.writerow(["text", "label"])
        w.writerows(rows)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["splits"]["production"] = {"file": "production.csv", "sha256": sha256_file(out / "production.csv")}
    manifest["sha256"] = dataset_sha256([manifest["splits"][s]["sha256"] for s in
                                         ("train", "validation", "test", "production")])
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


def test_warm_start_on_a_production_split_registers_the_next_version(tiny_run, dataset_dir, tweets_dir, tmp_path,
                                                                     mlflow_client, mlflow_store):
    rows = [(r["text"], r["label"]) for r in read_csv(tweets_dir / "tweets.csv")[1][:400]]
    dataset = with_production_split(dataset_dir, rows, tmp_path / "rt-2")
    run_id = new_run(mlflow_client, mlflow_store["artifacts"], MODEL)
    env = {**tiny_run["env"], "MLFLOW_RUN_ID": run_id, "STEWARD_DATASET_URI": f"file://{dataset}",
           "STEWARD_WARM_START_URI": f"models:/{MODEL}/1",  # what the orchestrator passes
           "STEWARD_PARAMS": json.dumps({"epochs": 1, "max_train_rows": 500, "quantize": False, "learning_rate": 2e-4})}
    result = run_entrypoint(env, timeout=600)
    assert result.returncode == 0, error_lines(result.stderr) or result.stderr[-2000:]
    run = mlflow_client.get_run(run_id)
    m = run.data.metrics
    # 820 rows for one epoch from scratch stay near the majority class; from the warm start they do not
    assert m["accuracy"] >= MAJORITY + 0.1, m["accuracy"]
    assert m["feedback_rows"] == 80 and 0 <= m["feedback_accuracy"] <= 1
    assert run.data.params["production_train_rows"] == "320"
    contexts = {t.value for i in run.inputs.dataset_inputs for t in i.tags if t.key == "mlflow.data.context"}
    assert contexts == {"train", "production"}
    # Its references are the production split's: the texts' profile, and its predictions on the held-out part.
    model_dir = Path(mlflow_client.download_artifacts(run_id, "model", str(tmp_path / "download")))
    profile = json.loads((model_dir / "reference_profile.json").read_text())
    assert profile["predictions"]["confidence"]["n"] == 80
    assert profile["features"]["char_length"]["n"] == 400
    assert "model.int8.onnx" not in {Path(f.path).name for f in mlflow_client.list_artifacts(run_id, "model")}
    assert run.data.tags["steward.model_version"] == "2"
