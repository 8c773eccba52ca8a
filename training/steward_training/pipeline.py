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
from .data import LoadedDataset, default_assets, load_dataset, local_path, order_key
from .params import TINY, TrainParams
from .validation import LABELS, PRODUCTION, validate_dataset, validate_rows

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
            # At least 20 predictions a bin: a few held-out rows in ten bins would make the canary's
            # confidence PSI against them mostly sampling noise.
            "confidence": feature_profile(probs.max(axis=1), bins=max(2, min(10, len(probs) // 20))),
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


@dataclass
class Inputs:
    """What a run trains and evaluates on: the dataset, its production split's train and held-out parts, the
    tokenizer, the encoded splits."""
    dataset: LoadedDataset
    report: dict                  # the dataset's validation report
    dataset_name: str
    dataset_version: str
    production_train: list
    production_held: list
    production_report: dict | None
    warm_start: Path | None
    vocab_path: Path
    tokenizer: object
    train_rows: list
    train_set: tuple
    val_set: tuple
    test_set: tuple


@dataclass
class Model:
    network: object               # torch.nn.Module; on the CPU in fp32 from export on
    device: object                # torch.device it trains on
    precision: str
    num_parameters: int


def _run(config: RunConfig, params: TrainParams, tracker, scratch: Path) -> dict:
    """The run's stages in order (see the module's docstring); returns the run's summary."""
    import torch

    started = time.perf_counter()
    if params.threads:
        torch.set_num_threads(params.threads)
    inputs = _load_inputs(config, params, scratch)
    model = _build_model(config, params, inputs)
    _log_params(tracker, config, params, inputs, model)
    text_profile = _text_profile(inputs)
    _log_datasets(tracker, config, inputs, text_profile)
    trained = _train(tracker, config, params, inputs, model, started)
    out = Path(config.output_dir) if config.output_dir else scratch / "out"
    model_dir = _fresh_model_dir(out)
    onnx_path = _export(model, model_dir)
    metrics, probs = _evaluate(params, inputs, model, onnx_path, model_dir)
    metrics.update({"train_seconds": trained.seconds, "train_steps": trained.steps, "best_epoch": trained.best_epoch,
                    "num_parameters": model.num_parameters, "train_rows": len(inputs.train_rows)})
    _write_model_dir(model_dir, config, params, inputs, model, probs, text_profile, metrics)
    metrics["total_seconds"] = time.perf_counter() - started
    version = _log_results(tracker, config, inputs, model_dir, trained, metrics)
    return _summary(tracker, config, out, model_dir, version, trained, metrics)


def _load_inputs(config: RunConfig, params: TrainParams, scratch: Path) -> Inputs:
    from .tokenizer import load_tokenizer

    dataset, report = _load_dataset(config, scratch)
    production_train, production_held, production_report = _split_production(params, dataset)
    warm_start = _fetch_warm_start(config, scratch)
    vocab_path = resolve_vocab(config, warm_start)
    tokenizer = load_tokenizer(vocab_path)

    train_rows = list(dataset.splits["train"])
    if params.max_train_rows:
        train_rows = train_rows[:params.max_train_rows]
    train_rows += production_train

    def encoded(rows):
        return _encoded(tokenizer, rows, params.max_length)

    return Inputs(dataset, report, config.dataset_name or dataset.name, config.dataset_version or dataset.version,
                  production_train, production_held, production_report, warm_start, vocab_path, tokenizer, train_rows,
                  encoded(train_rows), encoded(dataset.splits["validation"]), encoded(dataset.splits["test"]))


def _encoded(tokenizer, rows, max_length: int) -> tuple[list[list[int]], list[int]]:
    """(token ids, label ids) of labelled rows."""
    from .train import LABEL_ID, encode

    return encode(tokenizer, [t for t, _ in rows], max_length), [LABEL_ID[l] for _, l in rows]


def _load_dataset(config: RunConfig, scratch: Path) -> tuple[LoadedDataset, dict]:
    """The dataset, checked against its manifest and validated."""
    dataset_dir = fetch(config.dataset_uri, scratch / "dataset", config.tracking_uri)
    try:
        dataset: LoadedDataset = load_dataset(str(dataset_dir))
    except (OSError, ValueError) as e:
        raise TrainingError(f"dataset {config.dataset_uri}: {e}") from None
    report = validate_dataset(dataset.path)
    if not report["ok"]:
        raise TrainingError(f"dataset {config.dataset_uri} fails validation: {'; '.join(report['errors'][:5])}")
    return dataset, report


def _split_production(params: TrainParams, dataset: LoadedDataset):
    """The dataset's production split (labelled production feedback, in a version Steward built from it) split
    into a train part and a held-out part; texts of the validation and test splits are left out. Returns (train,
    held, validation report); empty without a production split."""
    rows = dataset.splits.get(PRODUCTION)
    if rows is None:
        return [], [], None
    # Feedback repeats itself (retweets, the same complaint twice): count it, do not refuse it.
    report = validate_rows(["text", "label"], [{"text": t, "label": l} for t, l in rows], min_label_share=0.0,
                           max_duplicate_share=1.0)
    if not report["ok"]:
        raise TrainingError(f"the production split fails validation: {'; '.join(report['errors'])}")
    evaluation_texts = {t for s in ("validation", "test") for t, _ in dataset.splits[s]}
    rows = list(dict.fromkeys(r for r in rows if r[0] not in evaluation_texts))
    train, held = split_feedback(rows, params.extra_holdout, params.seed)
    return train, held, report


def _fetch_warm_start(config: RunConfig, scratch: Path) -> Path | None:
    if not config.warm_start_uri:
        return None
    warm_start = fetch(config.warm_start_uri, scratch / "warm", config.tracking_uri)
    if (warm_start / "hf").is_dir():  # the version's model/ directory rather than model/hf
        warm_start = warm_start / "hf"
    return warm_start


def _build_model(config: RunConfig, params: TrainParams, inputs: Inputs) -> Model:
    import torch

    from .train import build_model, choose_precision

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    precision = choose_precision(params.precision, device)
    network = build_model(config.base_model, len(inputs.tokenizer), inputs.warm_start, params.seed)
    return Model(network, device, precision, sum(p.numel() for p in network.parameters()))


def _log_params(tracker, config: RunConfig, params: TrainParams, inputs: Inputs, model: Model) -> None:
    import torch
    import transformers

    tracker.log_params({
        **params.as_dict(),
        "base_model": config.base_model,
        "warm_start_uri": config.warm_start_uri or "",
        "dataset_name": inputs.dataset_name,
        "dataset_version": inputs.dataset_version,
        "dataset_sha256": inputs.dataset.sha256,
        "train_rows": len(inputs.train_rows),
        "production_train_rows": len(inputs.production_train),
        "production_holdout_rows": len(inputs.production_held),
        "device": torch.cuda.get_device_name(0) if model.device.type == "cuda" else "cpu",
        "precision_used": model.precision,
        "num_parameters": model.num_parameters,
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
    })


def _text_profile(inputs: Inputs) -> dict:
    """The reference profile of the traffic the model is trained for: its production split's when it has one
    (as Steward profiles such a version), else the dataset's profile.json or its train split's."""
    from .features import reference_profile

    label = f"{inputs.dataset_name}@{inputs.dataset_version}"
    if PRODUCTION in inputs.dataset.splits:
        return reference_profile([t for t, _ in inputs.dataset.splits[PRODUCTION]], inputs.tokenizer,
                                 f"{label}/{PRODUCTION}")
    if (inputs.dataset.path / "profile.json").is_file():
        return json.loads((inputs.dataset.path / "profile.json").read_text(encoding="utf-8"))
    return reference_profile([t for t, _ in inputs.dataset.splits["train"]], inputs.tokenizer, f"{label}/train")


def _log_datasets(tracker, config: RunConfig, inputs: Inputs, text_profile: dict) -> None:
    dataset, report = inputs.dataset, inputs.report
    tracker.log_dataset(
        inputs.dataset_name, dataset.sha256, config.dataset_uri,
        {"rows": dataset.manifest.get("rows"), "splits": dataset.manifest.get("splits"),
         "validation": {"ok": report["ok"], "errors": report["errors"]}, "reference_profile": text_profile},
        context="train",
        tags={"steward.dataset.sha256": dataset.sha256, "steward.dataset.version": inputs.dataset_version},
    )
    if inputs.production_report is not None:
        tracker.log_dataset(
            f"{inputs.dataset_name}-production", _rows_digest(inputs.production_train + inputs.production_held),
            config.dataset_uri,
            {"rows": len(inputs.production_train) + len(inputs.production_held),
             "validation": inputs.production_report},
            context="production",
        )


def _train(tracker, config: RunConfig, params: TrainParams, inputs: Inputs, model: Model, started: float):
    """Trains in place; per-step loss and per-epoch metrics go to the tracking server as they come."""
    from .train import train_model

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

    progress("training", run_id=tracker.run_id, base_model=config.base_model, device=str(model.device),
             precision=model.precision, train_rows=len(inputs.train_rows), parameters=model.num_parameters)
    trained = train_model(model.network, inputs.train_set, inputs.val_set, params, model.device, model.precision,
                          on_step, on_epoch)
    tracker.flush()
    return trained


def _fresh_model_dir(out: Path) -> Path:
    model_dir = out / "model"
    if model_dir.exists():
        shutil.rmtree(model_dir)
    model_dir.mkdir(parents=True)
    return model_dir


def _export(model: Model, model_dir: Path) -> Path:
    """The trained network, moved to the CPU in fp32, as ``model.onnx``."""
    from .export import export_onnx

    model.network = model.network.to("cpu").float().eval()
    return export_onnx(model.network, model_dir / "model.onnx")


def _evaluate(params: TrainParams, inputs: Inputs, model: Model, onnx_path: Path,
              model_dir: Path) -> tuple[dict, np.ndarray]:
    """Parity of the ONNX model with the network, then the ONNX model (its int8 copy too) on the test split, and
    on the held-out production rows. Returns the metrics and the probabilities the confidence reference is made
    of: on the held-out production rows when there are any (the traffic it is trained for), else on the test
    split."""
    from .evaluate import classification_metrics, onnx_logits, onnx_session, single_text_latency, softmax
    from .export import check_parity, quantize_int8

    test_set = inputs.test_set
    metrics: dict[str, float] = check_parity(model.network, onnx_path, test_set[0][:params.parity_rows],
                                             params.parity_tolerance)
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
    if inputs.production_held:
        held_ids, held_labels = _encoded(inputs.tokenizer, inputs.production_held, params.max_length)
        held_probs = softmax(onnx_logits(session, held_ids, params.eval_batch_size))
        held = classification_metrics(held_labels, held_probs[:, 1])
        metrics.update({"feedback_accuracy": held["accuracy"], "feedback_f1": held["f1"],
                        "feedback_rows": len(inputs.production_held)})
        return metrics, held_probs
    return metrics, probs


def _write_model_dir(model_dir: Path, config: RunConfig, params: TrainParams, inputs: Inputs, model: Model,
                     probs: np.ndarray, text_profile: dict, metrics: dict) -> None:
    """Everything beside the ONNX files: vocab, Hugging Face weights, reference profile, steward.json, model card."""
    dataset_name, dataset_version, sha256 = inputs.dataset_name, inputs.dataset_version, inputs.dataset.sha256
    shutil.copyfile(inputs.vocab_path, model_dir / "vocab.txt")
    artifact.save_hf(model.network, inputs.vocab_path, model_dir / "hf")
    artifact.write_json(model_dir / "reference_profile.json",
                        confidence_profile(probs, text_profile, f"{dataset_name}@{dataset_version}"))
    base_name = config.base_model if config.base_model == TINY else Path(config.base_model).resolve().name
    meta = artifact.steward_json(model_dir, base_name, params.max_length, {
        "dataset": {"name": dataset_name, "version": dataset_version, "sha256": sha256},
        "warm_start": config.warm_start_uri,
    })
    artifact.write_json(model_dir / "steward.json", meta)
    dataset_facts = {"name": dataset_name, "version": dataset_version, "sha256": sha256,
                     "train_rows": len(inputs.train_rows), "validation_rows": len(inputs.val_set[0]),
                     "test_rows": len(inputs.test_set[0]), "production_train_rows": len(inputs.production_train)}
    (model_dir / "model_card.md").write_text(
        artifact.model_card(config.model_name or "steward-sentiment", meta, dataset_facts, params.as_dict(), metrics),
        encoding="utf-8")


def _log_results(tracker, config: RunConfig, inputs: Inputs, model_dir: Path, trained, metrics: dict) -> str | None:
    """Final metrics and ``model/`` to the tracking server, then a registered version (its number)
    when the run has a model name and a tracking server."""
    progress("evaluated", run_id=tracker.run_id, accuracy=metrics["accuracy"], f1=metrics["f1"],
             parity_max_abs_diff=metrics["parity_max_abs_diff"])
    tracker.log_metrics(metrics, step=0)
    tracker.log_artifacts(model_dir, "model")
    tracker.log_json({"epochs": trained.epochs, "metrics": metrics}, "metrics/summary.json")
    if not (config.model_name and tracker.enabled):
        return None
    mv = tracker.register_version(config.model_name, "model", description=f"accuracy {metrics['accuracy']:.4f}",
                                  tags={"dataset_sha256": inputs.dataset.sha256})
    version = mv.version
    tracker.set_tags({"steward.model_name": config.model_name, "steward.model_version": version})
    progress("registered", run_id=tracker.run_id, model=config.model_name, version=version)
    return version


def _summary(tracker, config: RunConfig, out: Path, model_dir: Path, version: str | None, trained,
             metrics: dict) -> dict:
    """What ``run`` returns; also ``metrics.json`` beside ``model/`` when the run has an output directory."""
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
