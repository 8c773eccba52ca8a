"""Classification metrics and ONNX Runtime evaluation of the exported model.

The reported test metrics are those of ``model.onnx`` under ONNX Runtime, the
artifact serving runs, not of the PyTorch model it came from.
"""

from __future__ import annotations

import time
from typing import Sequence

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their mean rank (as scipy's rankdata 'average')."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    ranks = np.empty(len(values), dtype=np.float64)
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        ranks[order[start:end + 1]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve by the Mann-Whitney U statistic; NaN with one class only."""
    labels = np.asarray(labels).astype(bool)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = average_ranks(np.asarray(scores, dtype=np.float64))
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def classification_metrics(labels: Sequence[int], positive_scores: Sequence[float]) -> dict[str, float]:
    """Binary metrics with ``positive`` (class 1) as the positive class; a score > 0.5 predicts it."""
    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray(positive_scores, dtype=np.float64)
    pred = (s > 0.5).astype(np.int64)
    tp = int(((pred == 1) & (y == 1)).sum())
    tn = int(((pred == 0) & (y == 0)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "accuracy": (tp + tn) / len(y) if len(y) else 0.0,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "roc_auc": roc_auc(y, s),
        "confusion_tn": tn,
        "confusion_fp": fp,
        "confusion_fn": fn,
        "confusion_tp": tp,
        "eval_rows": len(y),
    }


def pad_batch(sequences: Sequence[Sequence[int]], pad_id: int = 0) -> tuple[np.ndarray, np.ndarray]:
    width = max(len(s) for s in sequences)
    ids = np.full((len(sequences), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(sequences), width), dtype=np.int64)
    for i, s in enumerate(sequences):
        ids[i, :len(s)] = s
        mask[i, :len(s)] = 1
    return ids, mask


def onnx_session(path, threads: int = 0):
    import onnxruntime as ort

    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def onnx_logits(session, sequences: Sequence[Sequence[int]], batch_size: int = 64) -> np.ndarray:
    """Logits for token id sequences; batches are formed by length to keep padding small."""
    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
    out = np.zeros((len(sequences), 2), dtype=np.float32)
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        ids, mask = pad_batch([sequences[i] for i in idx])
        out[idx] = session.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]
    return out


def single_text_latency(session, sequences: Sequence[Sequence[int]]) -> dict[str, float]:
    """Wall time of one ONNX Runtime call per text (batch of 1), in milliseconds."""
    if not sequences:
        return {}
    ids, mask = pad_batch(sequences[:1])
    session.run(["logits"], {"input_ids": ids, "attention_mask": mask})  # warm-up
    times = []
    for s in sequences:
        ids, mask = pad_batch([s])
        t0 = time.perf_counter()
        session.run(["logits"], {"input_ids": ids, "attention_mask": mask})
        times.append((time.perf_counter() - t0) * 1000)
    t = np.asarray(times)
    return {
        "latency_p50_ms": float(np.percentile(t, 50)),
        "latency_p95_ms": float(np.percentile(t, 95)),
        "latency_p99_ms": float(np.percentile(t, 99)),
        "latency_mean_ms": float(t.mean()),
        "latency_rows": len(times),
    }
