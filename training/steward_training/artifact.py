"""The model artifact directory that serving reads (docs/contracts.md, "Model artifact layout").

    model/
      model.onnx            input_ids, attention_mask (int64 [batch, sequence]) -> logits [batch, 2]
      model.int8.onnx       optional, dynamic int8 weights
      vocab.txt             BERT uncased WordPiece vocabulary
      steward.json          format 1: labels, max_length, file names, sha256 of the files
      model_card.md         what the model is, its data and its measured figures
      reference_profile.json  text features of the training split plus prediction confidence and label
                              shares on the test split, for drift monitoring (Monitor)
      hf/                   PyTorch weights + config (+ vocab.txt) for warm starts
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Mapping

from .data import sha256_file
from .validation import LABELS

FORMAT = 1


def steward_json(model_dir: Path, base_model: str, max_length: int, extra: Mapping | None = None) -> dict:
    files = ["model.onnx", "vocab.txt"] + (["model.int8.onnx"] if (model_dir / "model.int8.onnx").exists() else [])
    meta = {
        "format": FORMAT,
        "labels": list(LABELS),
        "max_length": max_length,
        "do_lower_case": True,
        "onnx": "model.onnx",
        "vocab": "vocab.txt",
        "base_model": base_model,
        "sha256": {name: sha256_file(model_dir / name) for name in files},
    }
    if "model.int8.onnx" in files:
        meta["onnx_int8"] = "model.int8.onnx"
    meta.update(extra or {})
    return meta


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def model_card(name: str, meta: Mapping, dataset: Mapping, params: Mapping, metrics: Mapping) -> str:
    m = metrics
    lines = [
        f"# {name}",
        "",
        "Binary sentiment classifier (negative / positive) trained by Steward's trainer "
        "(`training/`, `python -m steward_training.entrypoint`).",
        "",
        "## Model",
        f"- Base model: `{meta['base_model']}`",
        f"- Interface: ONNX `model.onnx` (opset 17), inputs `input_ids`, `attention_mask` "
        f"(int64, [batch, sequence]), output `logits` ([batch, 2]); labels {', '.join(meta['labels'])}",
        f"- Tokenizer: BERT uncased WordPiece, `vocab.txt`, lower-cased, accents stripped, max length {meta['max_length']}",
        f"- Parameters: {_fmt(m.get('num_parameters', 'n/a'))}",
        "",
        "## Data",
        f"- Dataset: `{dataset.get('name')}` version `{dataset.get('version')}`, sha256 `{dataset.get('sha256')}`",
        f"- Rows: train {dataset.get('train_rows')}, validation {dataset.get('validation_rows')}, "
        f"test {dataset.get('test_rows')}; production (feedback) train rows {dataset.get('production_train_rows', 0)}",
        "",
        "## Evaluation (test split, ONNX Runtime on CPU)",
        "| metric | value |",
        "|---|---|",
    ]
    for key in ("accuracy", "f1", "precision", "recall", "roc_auc", "eval_rows",
                "latency_p50_ms", "latency_p99_ms", "int8_accuracy", "int8_f1", "feedback_accuracy"):
        if key in m:
            lines.append(f"| {key} | {_fmt(m[key])} |")
    lines += [
        "",
        f"Confusion matrix (rows: true negative/positive): "
        f"[[{m.get('confusion_tn')}, {m.get('confusion_fp')}], [{m.get('confusion_fn')}, {m.get('confusion_tp')}]]",
        "",
        "## Training",
        "```json",
        json.dumps(dict(params), indent=2, sort_keys=True),
        "```",
        "",
        "## Limits",
        "- Trained on short English movie-review snippets; other domains (tweets, support "
        "tickets) shift the input distribution and lower accuracy; Steward monitors that drift.",
        "- Two classes only: neutral text is forced into negative or positive.",
        "",
    ]
    return "\n".join(lines)


def save_hf(model, vocab_path: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    shutil.copyfile(vocab_path, out / "vocab.txt")


def write_json(path: Path, value) -> None:
    path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n", encoding="utf-8")
