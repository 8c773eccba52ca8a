"""ONNX export of a sequence classifier, its parity check, and int8 quantisation.

The interface serving depends on: inputs ``input_ids`` and ``attention_mask``
(int64, [batch, sequence], both axes dynamic), output ``logits`` ([batch, 2]).
The TorchScript exporter (``dynamo=False``, opset 17) gives one self-contained
file with that interface.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from .evaluate import onnx_logits, onnx_session, pad_batch

OPSET = 17
INPUTS = ("input_ids", "attention_mask")
OUTPUT = "logits"


class ParityError(RuntimeError):
    pass


class _LogitsOnly(torch.nn.Module):
    """Traceable wrapper: positional (input_ids, attention_mask) -> logits tensor."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return self.model(input_ids=input_ids, attention_mask=attention_mask).logits


def export_onnx(model: torch.nn.Module, path: Path, sample_length: int = 16) -> Path:
    model = model.to("cpu").float().eval()
    ids = torch.ones((2, sample_length), dtype=torch.long)
    ids[:, 0] = 101
    mask = torch.ones_like(ids)
    mask[1, sample_length // 2:] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python control flow in transformers
        torch.onnx.export(
            _LogitsOnly(model),
            (ids, mask),
            str(path),
            dynamo=False,
            opset_version=OPSET,
            input_names=list(INPUTS),
            output_names=[OUTPUT],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "sequence"},
                "attention_mask": {0: "batch", 1: "sequence"},
                OUTPUT: {0: "batch"},
            },
        )
    import onnx

    onnx.checker.check_model(str(path))
    return Path(path)


def torch_logits(model: torch.nn.Module, sequences: Sequence[Sequence[int]], batch_size: int = 64) -> np.ndarray:
    model = model.to("cpu").float().eval()
    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
    out = np.zeros((len(sequences), 2), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            ids, mask = pad_batch([sequences[i] for i in idx])
            out[idx] = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).logits.numpy()
    return out


def check_parity(model: torch.nn.Module, onnx_path: Path, sequences: Sequence[Sequence[int]],
                 tolerance: float = 1e-4) -> dict[str, float]:
    """ONNX Runtime logits must equal PyTorch's to ``tolerance`` (max absolute difference).

    Checked twice: batched with padding (sequences of mixed lengths share a batch)
    and one text at a time, so a mask that the export got wrong shows up.
    """
    session = onnx_session(onnx_path)
    reference = torch_logits(model, sequences)
    batched = onnx_logits(session, sequences)
    single = np.concatenate([session.run([OUTPUT], dict(zip(INPUTS, pad_batch([s]))))[0] for s in sequences])
    diff = float(max(np.abs(batched - reference).max(), np.abs(single - reference).max()))
    if not diff <= tolerance:
        raise ParityError(f"ONNX logits differ from PyTorch by {diff:.3g} (> {tolerance:g}) on {len(sequences)} texts")
    return {"parity_max_abs_diff": diff, "parity_rows": len(sequences)}


def quantize_int8(onnx_path: Path, out_path: Path) -> Path:
    """Dynamic int8 quantisation of the weights (activations stay float)."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # "consider pre-processing" advice, printed on every call
    try:
        quantize_dynamic(str(onnx_path), str(out_path), weight_type=QuantType.QInt8)
    finally:
        root.setLevel(level)
    return Path(out_path)
