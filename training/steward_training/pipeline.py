"""One training run from dataset to registered model version.

dataset (checked against its manifest, validated) -> tokenise -> train (per-step loss
to the tracking server) -> export ONNX -> parity check -> evaluate the ONNX model on
the test split (and int8, and held-out feedback) -> write ``model/`` -> log
metrics and artifacts -> register a version. A failure anywhere ends the run as
FAILED with the reason in the ``steward.error`` tag, and raises.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from . import artifact
from .data import LoadedDataset, default_assets, load_dataset, local_path, order_key, read_labelled_csv
from .params import TINY, TrainParams
from .validation import LABELS, validate_dataset

ERROR_TAG = "steward.error"


def progress(event: str, **fields) -> None:
    """One JSON line on stderr per stage, for the Job's log (the error line stays plain text)."""
    record = {"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "level": "info", "event": event, **fields}
    print(json.dumps(record, default=str), file=sys.stderr, flush=True)


class TrainingError(Exception):
    """A failure with a message meant for the operator (bad data, bad configuration)."""


@dataclass
class RunConfig:
    dataset_uri: str
    base_model: str = TINY
    params: TrainParams = field(default_factory=lambda: TrainParams.parse(None, TINY))
    model_name: str | None = None
    tracking_uri: str | None = None
    run_id: str | None = None
    experiment: str | None = None
    dataset_name: str | None = None
    dataset_version: str | None = None
    extra_data_uri: str | None = None
    warm_start_uri: str | None = None
    output_dir: Path | None = None
    vocab_path: Path | None = None


def is_local(uri: str) -> bool:
    from urllib.parse import urlparse

    return urlparse(uri).scheme in ("", "file")


def fetch(uri: str, scratch: Path, tracking_uri: str | None) -> Path:
    """A local path for ``uri``; other schemes (runs:/, models:/, mlflow-artifacts:/, gs://) are downloaded."""
    if is_local(uri):
        path = local_path(uri)
        if not path.exists():
            raise TrainingError(f"{uri}: not found")
        return path
    import mlflow.artifacts

    scratch.mkdir(parents=True, exist_ok=True)
    return Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(scratch), tracking_uri=tracking_uri))


def resolve_vocab(config: RunConfig, warm_start: Path | None) -> Path:
    if config.vocab_path:
        candidates = [Path(config.vocab_path)]
    elif warm_start is not None:
        candidates = [warm_start / "vocab.txt", warm_start.parent / "vocab.txt"]
    elif config.base_model == TINY:
        candidates = [default_assets() / "minilm" / "vocab.txt"]
    else:
        candidates = [Path(config.base_model) / "vocab.txt"]
    for path in candidates:
        if path.is_file():
            return path
    raise TrainingError(f"no vocab.txt found (looked at {', '.join(map(str, candidates))})")


def split_feedback(rows: Sequence[tuple[str, str]], holdout: float, seed: int):
    """Deterministic stratified holdout of labelled feedback: (train part, held-out part)."""
    train, held = [], []
    for label in LABELS:
        group = sorted((r for r in rows if r[1] == label), key=lambda r: order_key(seed, r[0]))
        n = round(len(group) * holdout) if len(rows) >= 20 else 0
        held += group[:n]
        train += group[n:]
    return train, held


def confidence_profile(probs: np.ndarray, text_profile: dict | None, source: str) -> dict:
    from .features import categorical_profile, feature_profile

    predicted = [LABELS[i] for i in probs.argmax(axis=1)]
    return {
        "format": 1,
        "source": source,
        "binning": "reference-quantile",
        "bins": 10,
        "bin_rule": "bin = number of edges < value (right-closed bins)",
        "features": dict((text_profile or {}).get("features", {})),
        "predictions": {
            "confidence": feature_profile(probs.max(axis=1)),
            "predicted_label": categorical_profile(predicted, LABELS),
        },
    }


def run(config: RunConfig) -> dict:
    from .tracking import Tracker

    params = config.params
    tracker = Tracker.open(
        config.tracking_uri, config.run_id, config.experiment or config.model_name or "steward-training",
        tags={"steward.trainer": "steward_training", "steward.base_model": config.base_model},
    )
    scratch = Path(tempfile.mkdtemp(prefix="steward-training-"))
    try:
        result = _run(config, params, tracker, scratch)
        tracker.finish("FINISHED")
        return result
    except BaseException as e:
        if tracker.enabled:
            try:
                tracker.set_tags({ERROR_TAG: str(e)[:5000] or type(e).__name__})
                tracker.finish("FAILED")
            except Exception:  # the original error is the one to report
                pass
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run(config: RunConfig, params: TrainParams, tracker, scratch: Path) -> dict:
    import torch

    from .evaluate import classification_metrics, onnx_logits, onnx_session, single_text_latency, softmax
    from .export import check_parity, export_onnx, quantize_int8
    from .tokenizer import load_tokenizer
    from .train import LABEL_ID, build_model, choose_precision, encode, train_model

    started = time.perf_counter()
    if params.threads:
        torch.set_num_threads(params.threads)

    # -- data -----------------------------------------------------------------------------
    dataset_dir = fetch(config.dataset_uri, scratch / "dataset", config.tracking_uri)
    try:
        dataset: LoadedDataset = load_dataset(str(dataset_dir))
    except (OSError, ValueError) as e:
        raise TrainingError(f"dataset {config.dataset_uri}: {e}") from None
    report = validate_dataset(dataset.path)
    if not report["ok"]:
        raise TrainingError(f"dataset {config.dataset_uri} fails validation: {'; '.join(report['errors'][:5])}")
    dataset_name = config.dataset_name or dataset.name
    dataset_version = config.dataset_version or dataset.version

    extra_train, extra_held, extra_report = [], [], None
    if config.extra_data_uri:
        rows, extra_report = read_labelled_csv(str(fetch(config.extra_data_uri, scratch / "extra", config.tracking_uri)))
        if not extra_report["ok"]:
            raise TrainingError(f"extra data {config.extra_data_uri} fails validation: {'; '.join(extra_report['errors'])}")
        evaluation_texts = {t for s in ("validation", "test") for t, _ in dataset.splits[s]}
        rows = list(dict.fromkeys(r for r in rows if r[0] not in evaluation_texts))
        extra_train, extra_held = split_feedback(rows, params.extra_holdout, params.seed)

    warm_start = None
    if config.warm_start_uri:
        warm_start = fetch(config.warm_start_uri, scratch / "warm", config.tracking_uri)
        if (warm_start / "hf").is_dir():  # the version's model/ directory rather than model/hf
            warm_start = warm_start / "hf"
    vocab_path = resolve_vocab(config, warm_start)
    tokenizer = load_tokenizer(vocab_path)

    train_rows = list(dataset.splits["train"])
    if params.max_train_rows:
        train_rows = train_rows[:params.max_train_rows]
    train_rows += extra_train

    def encoded(rows):
        return encode(tokenizer, [t for t, _ in rows], params.max_length), [LABEL_ID[l] for _, l in rows]

    train_set, val_set, test_set = encoded(train_rows), encoded(dataset.splits["validation"]), encoded(dataset.splits["test"])

    # -- model and parameters ---------------------------------------------------------------
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    precision = choose_precision(params.precision, device)
    model = build_model(config.base_model, len(tokenizer), warm_start, params.seed)
    num_parameters = sum(p.numel() for p in model.parameters())
    import transformers

    tracker.log_params({
        **params.as_dict(),
        "base_model": config.base_model,
        "warm_start_uri": config.warm_start_uri or "",
        "dataset_name": dataset_name,
        "dataset_version": dataset_version,
        "dataset_sha256": dataset.sha256,
        "extra_data_uri": config.extra_data_uri or "",
        "train_rows": len(train_rows),
        "extra_train_rows": len(extra_train),
        "extra_holdout_rows": len(extra_held),
        "device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
        "precision_used": precision,
        "num_parameters": num_parameters,
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
    })
    text_profile = None
    if (dataset.path / "profile.json").is_file():
        text_profile = json.loads((dataset.path / "profile.json").read_text(encoding="utf-8"))
    else:
        from .features import reference_profile

        text_profile = reference_profile([t for t, _ in dataset.splits["train"]], tokenizer, f"{dataset_name}@{dataset_version}/train")
    tracker.log_dataset(
        dataset_name, dataset.sha256, config.dataset_uri,
        {"rows": dataset.manifest.get("rows"), "splits": dataset.manifest.get("splits"),
         "validation": {"ok": report["ok"], "errors": report["errors"]}, "reference_profile": text_profile},
        context="train",
        tags={"steward.dataset.sha256": dataset.sha256, "steward.dataset.version": dataset_version},
    )
    if config.extra_data_uri:
        tracker.log_dataset(
            f"{dataset_name}-feedback", _rows_digest(extra_train + extra_held), config.extra_data_uri,
            {"rows": len(extra_train) + len(extra_held), "validation": extra_report}, context="feedback",
        )

    # -- training ---------------------------------------------------------------------------
    def on_step(step: int, loss: float, lr: float) -> None:
        tracker.add_metric("train_loss", loss, step)
        if step % params.log_every == 0:
            tracker.add_metric("learning_rate", lr, step)
            tracker.flush()

    def on_epoch(epoch: int, step: int, metrics: dict) -> None:
        progress("epoch", run_id=tracker.run_id, epoch=epoch, step=step,
                 seconds=round(time.perf_counter() - started, 1), **metrics)
        tracker.flush()
        tracker.log_metrics({**metrics, "epoch": epoch}, step=epoch)

    progress("training", run_id=tracker.run_id, base_model=config.base_model, device=str(device),
             precision=precision, train_rows=len(train_rows), parameters=num_parameters)
    trained = train_model(model, train_set, val_set, params, device, precision, on_step, on_epoch)
    tracker.flush()

    # -- export, parity, evaluation ----------------------------------------------------------
    out = Path(config.output_dir) if config.output_dir else scratch / "out"
    model_dir = out / "model"
    if model_dir.exists():
        shutil.rmtree(model_dir)
    model_dir.mkdir(parents=True)
    model = model.to("cpu").float().eval()
    onnx_path = export_onnx(model, model_dir / "model.onnx")
    metrics: dict[str, float] = check_parity(model, onnx_path, test_set[0][:params.parity_rows], params.parity_tolerance)
    session = onnx_session(onnx_path)
    eval_start = time.perf_counter()
    probs = softmax(onnx_logits(session, test_set[0], params.eval_batch_size))
    metrics["eval_seconds"] = time.perf_counter() - eval_start
    metrics.update(classification_metrics(test_set[1], probs[:, 1]))
    metrics["eval_texts_per_second"] = len(test_set[0]) / metrics["eval_seconds"]
    metrics.update(single_text_latency(session, test_set[0][:params.latency_rows]))
    metrics["onnx_size_mb"] = onnx_path.stat().st_size / 1e6
    if params.quantize:
        int8_path = quantize_int8(onnx_path, model_dir / "model.int8.onnx")
        int8_probs = softmax(onnx_logits(onnx_session(int8_path), test_set[0], params.eval_batch_size))
        int8 = classification_metrics(test_set[1], int8_probs[:, 1])
        metrics.update({"int8_accuracy": int8["accuracy"], "int8_f1": int8["f1"],
                        "int8_size_mb": int8_path.stat().st_size / 1e6})
    if extra_held:
        held_ids, held_labels = encoded(extra_held)
        held = classification_metrics(held_labels, softmax(onnx_logits(session, held_ids, params.eval_batch_size))[:, 1])
        metrics.update({"feedback_accuracy": held["accuracy"], "feedback_f1": held["f1"], "feedback_rows": len(extra_held)})
    metrics.update({"train_seconds": trained.seconds, "train_steps": trained.steps, "best_epoch": trained.best_epoch,
                    "num_parameters": num_parameters, "train_rows": len(train_rows)})

    # -- artifact ----------------------------------------------------------------------------
    shutil.copyfile(vocab_path, model_dir / "vocab.txt")
    artifact.save_hf(model, vocab_path, model_dir / "hf")
    artifact.write_json(model_dir / "reference_profile.json",
                        confidence_profile(probs, text_profile, f"{dataset_name}@{dataset_version}"))
    base_name = config.base_model if config.base_model == TINY else Path(config.base_model).resolve().name
    meta = artifact.steward_json(model_dir, base_name, params.max_length, {
        "dataset": {"name": dataset_name, "version": dataset_version, "sha256": dataset.sha256},
        "warm_start": config.warm_start_uri,
    })
    artifact.write_json(model_dir / "steward.json", meta)
    dataset_facts = {"name": dataset_name, "version": dataset_version, "sha256": dataset.sha256,
                     "train_rows": len(train_rows), "validation_rows": len(val_set[0]), "test_rows": len(test_set[0]),
                     "extra_train_rows": len(extra_train)}
    (model_dir / "model_card.md").write_text(
        artifact.model_card(config.model_name or "steward-sentiment", meta, dataset_facts, params.as_dict(), metrics),
        encoding="utf-8")
    metrics["total_seconds"] = time.perf_counter() - started

    progress("evaluated", run_id=tracker.run_id, accuracy=metrics["accuracy"], f1=metrics["f1"],
             parity_max_abs_diff=metrics["parity_max_abs_diff"])
    tracker.log_metrics(metrics, step=0)
    tracker.log_artifacts(model_dir, "model")
    tracker.log_json({"epochs": trained.epochs, "metrics": metrics}, "metrics/summary.json")
    version = None
    if config.model_name and tracker.enabled:
        mv = tracker.register_version(config.model_name, "model", description=f"accuracy {metrics['accuracy']:.4f}",
                                      tags={"dataset_sha256": dataset.sha256})
        version = mv.version
        tracker.set_tags({"steward.model_name": config.model_name, "steward.model_version": version})
        progress("registered", run_id=tracker.run_id, model=config.model_name, version=version)
    summary = {"run_id": tracker.run_id, "model_name": config.model_name, "model_version": version,
               "model_dir": str(model_dir) if config.output_dir else None, "metrics": metrics, "epochs": trained.epochs}
    if config.output_dir:
        artifact.write_json(out / "metrics.json", summary)
    return summary


def _rows_digest(rows) -> str:
    import hashlib

    digest = hashlib.sha256()
    for text, label in rows:
        digest.update(f"{text}\x00{label}\n".encode("utf-8"))
    return digest.hexdigest()
