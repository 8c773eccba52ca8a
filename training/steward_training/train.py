"""Fine-tuning a BERT-family sequence classifier for binary sentiment.

The base model is ``tiny`` (a 2-layer DistilBERT trained from scratch with the
BERT uncased vocabulary: the CI and demo model) or a Hugging Face model directory
(e.g. the bundled all-MiniLM-L6-v2); a warm start continues from a previous
Steward version's ``model/hf``. fp32 on CPU; bf16 (or fp16 with loss scaling) on
GPU. Batches are grouped by length and padded to their own longest text.
"""

from __future__ import annotations

import copy
import math
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from .params import TINY, TrainParams
from .validation import LABELS

LABEL_ID = {label: i for i, label in enumerate(LABELS)}


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def tiny_config(vocab_size: int):
    from transformers import DistilBertConfig

    return DistilBertConfig(
        vocab_size=vocab_size, dim=64, n_layers=2, n_heads=2, hidden_dim=256,
        max_position_embeddings=512, dropout=0.1, attention_dropout=0.1, seq_classif_dropout=0.1,
        pad_token_id=0, num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)), label2id=dict(LABEL_ID),
    )


def build_model(base_model: str, vocab_size: int, warm_start: Path | None, seed: int) -> torch.nn.Module:
    from transformers import AutoModelForSequenceClassification, DistilBertForSequenceClassification
    from transformers.utils import logging as hf_logging

    seed_everything(seed)
    hf_logging.set_verbosity_error()  # "newly initialized classifier weights" is expected here
    hf_logging.disable_progress_bar()
    source = warm_start if warm_start is not None else (None if base_model == TINY else Path(base_model))
    if source is None:
        model = DistilBertForSequenceClassification(tiny_config(vocab_size))
    else:
        if not (Path(source) / "config.json").is_file():
            raise FileNotFoundError(f"{source}: not a Hugging Face model directory (no config.json)")
        model = AutoModelForSequenceClassification.from_pretrained(
            str(source), num_labels=len(LABELS), id2label=dict(enumerate(LABELS)), label2id=dict(LABEL_ID),
        )
    if model.config.vocab_size != vocab_size:
        raise ValueError(f"model vocabulary has {model.config.vocab_size} entries, vocab.txt has {vocab_size}")
    return model


def encode(tokenizer, texts: Sequence[str], max_length: int) -> list[list[int]]:
    return tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]


def length_grouped_batches(lengths: Sequence[int], batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of similar lengths: sort within chunks of 50 batches, then shuffle the batches."""
    perm = rng.permutation(len(lengths))
    chunk = batch_size * 50
    batches = []
    for start in range(0, len(perm), chunk):
        part = perm[start:start + chunk]
        part = part[np.argsort([-lengths[i] for i in part], kind="stable")]
        batches += [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def to_tensors(sequences: Sequence[Sequence[int]], device) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in sequences)
    ids = torch.zeros((len(sequences), width), dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for i, s in enumerate(sequences):
        ids[i, :len(s)] = torch.tensor(s, dtype=torch.long)
        mask[i, :len(s)] = 1
    return ids.to(device), mask.to(device)


def choose_precision(requested: str, device: torch.device) -> str:
    if device.type != "cuda":
        if requested in ("fp16", "bf16"):
            raise ValueError(f"precision {requested} needs a GPU; this run is on CPU")
        return "fp32"
    if requested == "auto":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return requested


@torch.inference_mode()
def predict_probs(model, sequences, device, batch_size: int, precision: str = "fp32") -> np.ndarray:
    model.eval()
    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
    out = np.zeros((len(sequences), len(LABELS)), dtype=np.float32)
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        ids, mask = to_tensors([sequences[i] for i in idx], device)
        with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            logits = model(input_ids=ids, attention_mask=mask).logits
        out[idx] = torch.softmax(logits.float(), dim=-1).cpu().numpy()
    return out


@dataclass
class TrainResult:
    steps: int
    seconds: float
    best_epoch: int
    epochs: list[dict] = field(default_factory=list)


def train_model(
    model: torch.nn.Module,
    train: tuple[list[list[int]], list[int]],
    validation: tuple[list[list[int]], list[int]],
    params: TrainParams,
    device: torch.device,
    precision: str,
    on_step: Callable[[int, float, float], None] = lambda step, loss, lr: None,
    on_epoch: Callable[[int, int, dict], None] = lambda epoch, step, metrics: None,
) -> TrainResult:
    """Train; after each epoch measure validation accuracy and keep the best epoch's weights."""
    from transformers import get_linear_schedule_with_warmup

    seqs, labels = train
    val_seqs, val_labels = validation
    model.to(device)
    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight")
    groups = [
        {"params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)], "weight_decay": params.weight_decay},
        {"params": [p for n, p in model.named_parameters() if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=params.learning_rate, fused=True)  # foreach AdamW costs as much as fwd+bwd here
    steps_per_epoch = math.ceil(len(seqs) / params.batch_size)
    total = steps_per_epoch * params.epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, int(total * params.warmup_ratio), total)
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    scaler = torch.amp.GradScaler("cuda", enabled=precision == "fp16")
    lengths = [len(s) for s in seqs]
    label_tensor = torch.tensor(labels, dtype=torch.long)
    rng = np.random.default_rng(params.seed)

    result = TrainResult(steps=0, seconds=0.0, best_epoch=0)
    best_acc, best_state = -1.0, None
    start = time.perf_counter()
    for epoch in range(1, params.epochs + 1):
        model.train()
        epoch_loss = 0.0
        for batch in length_grouped_batches(lengths, params.batch_size, rng):
            ids, mask = to_tensors([seqs[i] for i in batch], device)
            target = label_tensor[batch].to(device)
            with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
                logits = model(input_ids=ids, attention_mask=mask).logits
            loss = torch.nn.functional.cross_entropy(logits.float(), target)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            result.steps += 1
            value = float(loss.detach())
            if not math.isfinite(value):
                raise FloatingPointError(f"training loss is {value} at step {result.steps}")
            epoch_loss += value
            on_step(result.steps, value, scheduler.get_last_lr()[0])
        probs = predict_probs(model, val_seqs, device, params.eval_batch_size, precision)
        val_acc = float((probs.argmax(axis=1) == np.asarray(val_labels)).mean())
        metrics = {"epoch_train_loss": epoch_loss / steps_per_epoch, "val_accuracy": val_acc}
        result.epochs.append({"epoch": epoch, **metrics})
        on_epoch(epoch, result.steps, metrics)
        if val_acc > best_acc:
            best_acc, result.best_epoch = val_acc, epoch
            best_state = copy.deepcopy({k: v.detach().cpu() for k, v in model.state_dict().items()})
    result.seconds = time.perf_counter() - start
    if best_state is not None and result.best_epoch != params.epochs:
        model.load_state_dict(best_state)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone training (no tracking server needed): ``python -m steward_training.train``."""
    import argparse
    import json
    import os
    import sys

    from .pipeline import RunConfig, run

    parser = argparse.ArgumentParser(prog="python -m steward_training.train", description=main.__doc__)
    parser.add_argument("--dataset", required=True, help="dataset version directory or file:// URI")
    parser.add_argument("--base-model", default=TINY, help="'tiny' or a Hugging Face model directory")
    parser.add_argument("--params", help="JSON object of training parameters")
    parser.add_argument("--out", type=Path, required=True, help="directory that receives model/ and metrics.json")
    parser.add_argument("--model-name", help="register a version of this model (needs a tracking URI)")
    parser.add_argument("--tracking-uri", default=os.environ.get("MLFLOW_TRACKING_URI"))
    parser.add_argument("--warm-start", help="a previous version's model/hf directory")
    args = parser.parse_args(argv)
    try:
        params = TrainParams.parse(args.params, args.base_model)
        summary = run(RunConfig(
            dataset_uri=args.dataset, base_model=args.base_model, params=params, model_name=args.model_name,
            tracking_uri=args.tracking_uri, warm_start_uri=args.warm_start,
            output_dir=args.out,
        ))
    except Exception as e:
        print(f"steward-training: error: {e}", file=sys.stderr)
        return 1
    json.dump(summary["metrics"], sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
