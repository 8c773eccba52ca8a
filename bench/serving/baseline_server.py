#!/usr/bin/env python3
"""The Python baseline for steward-serve: FastAPI + uvicorn + ONNX Runtime + the HF fast tokenizer.

Usage: baseline_server.py [--model DIR] [--port P] [--host H] [--threads 1] [--inference-slots 1]
                          [--backend onnxruntime|torch] [--inline]

Serves a Steward model directory (docs/contracts.md: model.onnx, vocab.txt, steward.json)
with steward-serve's API, the way a Python user would write it (one request = one
session run, no micro-batching):

  POST /predict  {"text": "..."} or {"texts": ["...", ...]}
      -> {"predictions": [{"label", "confidence", "probabilities": {"negative": p, "positive": p}}],
          "model": {"name", "version"}, "track": "stable", "request_id"}
         (for {"text"} also label, confidence, probabilities at the top level, as steward-serve)
      errors {"error": {"code", "message"}}: 400 invalid JSON, not an object, wrong types, neither or
      both of text/texts; 422 no texts, more than --max-texts texts, a text over --max-chars
      characters; 413 body over --max-body-bytes
  GET /health    ok                          GET /ready  {"model", "version", "precision"}

Configuration: --model or STEWARD_MODEL_PATH; --port or STEWARD_SERVE_PORT (default 8080);
model name/version from STEWARD_MODEL_NAME (default: the directory name) and
STEWARD_MODEL_VERSION (default "local"). Compute budget: one uvicorn worker, ONNX Runtime
intra-op threads = --threads, inter-op 1, and at most --inference-slots session runs at a
time (default 1: total inference threads = --threads, comparable to steward-serve).
--backend torch serves DIR/hf with transformers + PyTorch instead (the issue's baseline (d)).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import uuid
from pathlib import Path

import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool


def read_vocab(path: Path) -> dict[str, int]:
    vocab: dict[str, int] = {}
    with open(path, encoding="utf-8") as f:
        for index, line in enumerate(f):
            vocab.setdefault(line.rstrip("\n"), index)
    return vocab


def onnx_file(meta: dict, precision: str) -> str:
    """The ONNX file steward-serve would run for STEWARD_PRECISION=`precision`."""
    if precision == "int8":
        if "onnx_int8" not in meta:
            raise SystemExit("--precision int8: steward.json names no onnx_int8 export")
        return meta["onnx_int8"]
    return meta.get("onnx", "model.onnx")


class Model:
    def __init__(self, model_dir: Path, threads: int, backend: str = "onnxruntime", precision: str = "fp32"):
        from transformers import BertTokenizerFast

        meta = json.loads((model_dir / "steward.json").read_text(encoding="utf-8"))
        if meta.get("format") != 1:
            raise SystemExit(f"{model_dir}/steward.json: unsupported format {meta.get('format')!r}")
        self.labels = list(meta["labels"])
        self.max_length = int(meta["max_length"])
        vocab = read_vocab(model_dir / meta.get("vocab", "vocab.txt"))
        # transformers 5 ignores vocab_file= (5-token vocabulary); pass the dict.
        self.tokenizer = BertTokenizerFast(vocab=vocab, do_lower_case=bool(meta.get("do_lower_case", True)))
        if len(self.tokenizer) != len(vocab):
            raise SystemExit("tokenizer did not take the vocabulary")
        self.backend = backend
        if backend == "torch":
            import torch
            from transformers import AutoModelForSequenceClassification

            if not (model_dir / "hf" / "config.json").is_file():
                raise SystemExit(f"{model_dir}/hf: no PyTorch weights (config.json) for --backend torch")
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            torch.set_num_threads(threads)
            self.torch = torch
            self.torch_model = AutoModelForSequenceClassification.from_pretrained(str(model_dir / "hf")).eval()
        else:
            import onnxruntime as ort

            opts = ort.SessionOptions()
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            self.session = ort.InferenceSession(str(model_dir / onnx_file(meta, precision)), opts,
                                                providers=["CPUExecutionProvider"])
        self.precision = precision
        self.name = os.environ.get("STEWARD_MODEL_NAME") or model_dir.resolve().name
        self.version = os.environ.get("STEWARD_MODEL_VERSION", "local")

    def run_onnx(self, texts: list[str]):
        enc = self.tokenizer(texts, truncation=True, max_length=self.max_length, padding="longest",
                             return_tensors="np", return_token_type_ids=False)
        return self.session.run(["logits"], {"input_ids": enc["input_ids"].astype(np.int64),
                                             "attention_mask": enc["attention_mask"].astype(np.int64)})[0]

    def predict(self, texts: list[str]) -> list[dict]:
        if self.backend == "torch":
            enc = self.tokenizer(texts, truncation=True, max_length=self.max_length, padding="longest",
                                 return_tensors="pt", return_token_type_ids=False)
            with self.torch.inference_mode():
                logits = self.torch_model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).logits.numpy()
        elif self.precision == "int8":
            # Dynamic int8 quantises activations over the whole run: one text per run, as steward-serve does.
            logits = np.concatenate([self.run_onnx([text]) for text in texts])
        else:
            logits = self.run_onnx(texts)
        z = logits.astype(np.float64)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        probs = e / e.sum(axis=1, keepdims=True)
        out = []
        for row in probs:
            k = int(np.argmax(row))
            out.append({"label": self.labels[k], "confidence": float(row[k]),
                        "probabilities": {label: float(p) for label, p in zip(self.labels, row)}})
        return out


def create_app(model: Model, inference_slots: int, max_texts: int = 64, max_chars: int = 20_000,
               max_body_bytes: int = 1 << 20, inline: bool = False):
    app = FastAPI(title="steward baseline (FastAPI + onnxruntime)", docs_url=None, redoc_url=None)
    slots = asyncio.Semaphore(inference_slots)

    def error(status: int, code: str, message: str, request_id: str) -> JSONResponse:
        return JSONResponse({"error": {"code": code, "message": message}}, status_code=status,
                            headers={"X-Request-Id": request_id})

    @app.get("/health")
    async def health():
        return PlainTextResponse("ok")

    @app.get("/ready")
    async def ready():
        return {"model": model.name, "version": model.version, "precision": model.precision}

    @app.post("/predict")
    async def predict(request: Request):
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        raw = await request.body()
        if len(raw) > max_body_bytes:
            return error(413, "body_too_large", f"body larger than {max_body_bytes} bytes", request_id)
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return error(400, "invalid_json", "the request body is not valid JSON", request_id)
        if not isinstance(body, dict):
            return error(400, "invalid_json", "the request body must be a JSON object", request_id)
        if ("text" in body) == ("texts" in body):
            return error(400, "invalid_argument", "send {\"text\": \"...\"} or {\"texts\": [\"...\", ...]}, not both", request_id)
        single = "text" in body
        texts = [body["text"]] if single else body["texts"]
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            return error(400, "invalid_json", "'text' must be a string and 'texts' a list of strings", request_id)
        if not texts:
            return error(422, "invalid_argument", "texts must hold at least one text", request_id)
        if len(texts) > max_texts:
            return error(422, "too_many_texts", f"texts holds {len(texts)} texts; at most {max_texts} per request", request_id)
        if any(len(t) > max_chars for t in texts):
            return error(422, "text_too_long", f"a text is longer than {max_chars} characters", request_id)
        if inline:
            predictions = model.predict(texts)  # on the event loop: no thread hop, one run at a time
        else:
            async with slots:
                predictions = await run_in_threadpool(model.predict, texts)
        doc = dict(predictions[0]) if single else {}
        doc.update(predictions=predictions, model={"name": model.name, "version": model.version}, track="stable",
                   request_id=request_id)
        return JSONResponse(doc, headers={"X-Request-Id": request_id})

    return app


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=os.environ.get("STEWARD_MODEL_PATH"))
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=int(os.environ.get("STEWARD_SERVE_PORT", "8080")))
    ap.add_argument("--threads", type=int, default=1, help="ONNX Runtime intra-op (or torch) threads")
    ap.add_argument("--backend", choices=["onnxruntime", "torch"], default="onnxruntime",
                    help="torch: transformers + PyTorch on DIR/hf (the usual approach) instead of model.onnx")
    ap.add_argument("--precision", choices=["fp32", "int8"], default="fp32",
                    help="int8: the model's int8 export (steward.json onnx_int8), like STEWARD_PRECISION=int8")
    ap.add_argument("--inference-slots", type=int, default=1, help="concurrent session runs")
    ap.add_argument("--inline", action="store_true",
                    help="run inference on the event loop instead of the thread pool (implies one slot)")
    ap.add_argument("--max-texts", type=int, default=64)
    ap.add_argument("--max-chars", type=int, default=20_000, help="Unicode scalars per text")
    ap.add_argument("--max-body-bytes", type=int, default=1 << 20)
    ap.add_argument("--log-level", default="warning")
    args = ap.parse_args()
    if args.model is None:
        ap.error("no model directory: pass --model or set STEWARD_MODEL_PATH")
    if not (args.model / "steward.json").is_file():
        ap.error(f"{args.model}: not a Steward model directory (no steward.json)")

    import uvicorn

    model = Model(args.model, args.threads, args.backend, args.precision)
    model.predict(["warm up"])
    app = create_app(model, args.inference_slots, args.max_texts, args.max_chars, args.max_body_bytes, args.inline)
    uvicorn.run(app, host=args.host, port=args.port, workers=1, log_level=args.log_level, access_log=False)


if __name__ == "__main__":
    main()
