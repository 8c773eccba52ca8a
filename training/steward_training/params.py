"""Training hyperparameters: defaults per base model, parsed from ``STEWARD_PARAMS`` JSON.

Unknown keys and wrong types are refused (a typo must not silently train with a
default), with a message naming the key.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

TINY = "tiny"


@dataclass(frozen=True)
class TrainParams:
    epochs: int = 3
    batch_size: int = 32
    learning_rate: float = 5e-5
    max_length: int = 128
    seed: int = 13
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    eval_batch_size: int = 64
    log_every: int = 10             # per-step losses are sent to the tracking server in batches of this size
    precision: str = "auto"         # auto (fp32 on CPU, bf16/fp16 on GPU), fp32, fp16, bf16
    quantize: bool = True           # also write model.int8.onnx (dynamic int8) and record its accuracy
    parity_rows: int = 256          # test rows for the ONNX vs PyTorch logits check
    parity_tolerance: float = 1e-4
    latency_rows: int = 200         # single-text ONNX Runtime calls timed for latency_p50/p99_ms
    max_train_rows: int = 0         # 0 = all; a cap for quick runs
    extra_holdout: float = 0.2      # share of the production split held out (feedback_accuracy, confidence reference)
    threads: int = 0                # torch intra-op threads; 0 = torch's default

    # Per-base-model defaults: a from-scratch tiny model wants a much larger step; a pretrained
    # one the settings of the best measured MiniLM run (training/README.md).
    @staticmethod
    def defaults_for(base_model: str) -> dict[str, Any]:
        if base_model == TINY:
            return {"epochs": 2, "learning_rate": 1e-3, "batch_size": 32}
        return {"epochs": 2, "learning_rate": 4e-5, "batch_size": 16}

    @classmethod
    def parse(cls, text: str | None, base_model: str) -> "TrainParams":
        values: dict[str, Any] = cls.defaults_for(base_model)
        if text and text.strip():
            try:
                given = json.loads(text)
            except json.JSONDecodeError as e:
                raise ValueError(f"STEWARD_PARAMS is not valid JSON: {e}") from None
            if not isinstance(given, dict):
                raise ValueError("STEWARD_PARAMS must be a JSON object")
            values.update(given)
        return cls.from_dict(values)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "TrainParams":
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown training parameter(s): {', '.join(unknown)}; known: {', '.join(known)}")
        out: dict[str, Any] = {}
        for key, value in values.items():
            kind = type(getattr(cls, key))
            if kind is bool:
                # 0/1 too: callers that hold parameters as numbers (the orchestrator's tests) send them
                ok = isinstance(value, bool) or (type(value) is int and value in (0, 1))
                value = bool(value) if ok else value
            elif kind is int:
                ok = isinstance(value, int) and not isinstance(value, bool)
            elif kind is float:
                ok = isinstance(value, (int, float)) and not isinstance(value, bool)
                value = float(value) if ok else value
            else:
                ok = isinstance(value, kind)
            if not ok:
                raise ValueError(f"training parameter {key} must be {kind.__name__}, got {value!r}")
            out[key] = value
        params = cls(**out)
        params.check()
        return params

    def check(self) -> None:
        positive = ["epochs", "batch_size", "max_length", "eval_batch_size", "log_every"]
        for key in positive:
            if getattr(self, key) <= 0:
                raise ValueError(f"training parameter {key} must be > 0")
        if not 0 < self.learning_rate < 1:
            raise ValueError("training parameter learning_rate must be in (0, 1)")
        if not 8 <= self.max_length <= 512:
            raise ValueError("training parameter max_length must be in [8, 512]")
        if not 0 <= self.warmup_ratio < 1 or not 0 <= self.extra_holdout < 1:
            raise ValueError("training parameters warmup_ratio and extra_holdout must be in [0, 1)")
        if self.precision not in ("auto", "fp32", "fp16", "bf16"):
            raise ValueError("training parameter precision must be one of auto, fp32, fp16, bf16")
        if min(self.parity_rows, self.latency_rows, self.max_train_rows, self.threads) < 0:
            raise ValueError("training parameters parity_rows, latency_rows, max_train_rows, threads must be >= 0")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
