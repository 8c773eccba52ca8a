"""The fixture scripts' outputs are what they claim: the add graph, the tiny model directory
(contract layout, sha256, expected logits reproducible, padding-invariant)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import numpy as np
import onnxruntime as ort

from bert_common import fast_tokenizer
from support import FIXTURE_SCRIPTS


def test_add_model(tmp_path):
    out = tmp_path / "add.onnx"
    p = subprocess.run([sys.executable, str(FIXTURE_SCRIPTS / "make_add_model.py"), "--out", str(out)], capture_output=True, text=True,
                       check=True)
    doc = json.loads(p.stdout)
    assert doc["Y"] == [[22.5, 27.0], [49.5, 63.0]]
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == ["X"] and [o.name for o in sess.get_outputs()] == ["Y"]
    y = sess.run(["Y"], {"X": np.array([[1, 2, 3], [4, 5, 6], [0, 0, 0]], dtype=np.float32)})[0]
    assert y.tolist() == [[22.5, 27.0], [49.5, 63.0], [0.5, -1.0]]


def test_tiny_model_directory(tiny_model, expected):
    meta = json.loads((tiny_model / "steward.json").read_text())
    assert meta["format"] == 1 and meta["labels"] == ["negative", "positive"] and meta["max_length"] == 128
    assert meta["do_lower_case"] is True and meta["onnx"] == "model.onnx" and meta["vocab"] == "vocab.txt"
    for name, digest in meta["sha256"].items():
        assert hashlib.sha256((tiny_model / name).read_bytes()).hexdigest() == digest, name
    assert (tiny_model / "model_card.md").is_file()
    sess = ort.InferenceSession(str(tiny_model / "model.onnx"), providers=["CPUExecutionProvider"])
    assert [(i.name, i.type) for i in sess.get_inputs()] == [("input_ids", "tensor(int64)"),
                                                             ("attention_mask", "tensor(int64)")]
    assert [o.name for o in sess.get_outputs()] == ["logits"]
    assert expected["model"]["onnx_sha256"] == meta["sha256"]["model.onnx"]


def test_expected_logits_reproduce(tiny_model, expected):
    sess = ort.InferenceSession(str(tiny_model / "model.onnx"), providers=["CPUExecutionProvider"])
    tok = fast_tokenizer(tiny_model / "vocab.txt")
    texts = expected["texts"]
    assert len(texts) >= 50
    for item in texts:
        assert tok(item["text"], truncation=True, max_length=128)["input_ids"] == item["input_ids"]
        p = item["probabilities"]
        assert abs(p["negative"] + p["positive"] - 1) < 1e-9 and item["confidence"] == max(p.values())
    for batch in expected["batches"]:
        ids = np.array(batch["input_ids"], dtype=np.int64)
        mask = np.array(batch["attention_mask"], dtype=np.int64)
        lengths = [len(texts[i]["input_ids"]) for i in batch["indices"]]
        assert ids.shape == (len(lengths), max(lengths))  # padded to the batch's own longest
        assert mask.sum(axis=1).tolist() == lengths and (ids[mask == 0] == 0).all()
        logits = sess.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]
        want = np.array([texts[i]["logits"] for i in batch["indices"]])
        assert np.abs(logits - want).max() < 1e-5
    single = np.array([t["logits_single"] for t in texts])
    assert np.abs(single - np.array([t["logits"] for t in texts])).max() <= 1e-5
    labels = {t["label"] for t in texts}
    assert labels == {"negative", "positive"}  # the random weights still give both labels
