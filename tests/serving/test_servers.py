"""The same HTTP contract checked on the FastAPI baseline and on steward-serve (when built):
POST /predict answers equal the Python onnxruntime logits of tests/fixtures/make_tiny_model.py
to 1e-4, errors are clear 4xx, and 64 concurrent clients get no errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from support import http

TOL = 1e-4


def check_prediction(got: dict, want: dict) -> None:
    assert got["label"] == want["label"]
    assert abs(got["confidence"] - want["confidence"]) < TOL
    for k in ("negative", "positive"):
        assert abs(got["probabilities"][k] - want["probabilities"][k]) < TOL, (got, want)


def test_health_and_ready(server):
    assert http("GET", server.url + "/health").status == 200
    ready = http("GET", server.url + "/ready")
    assert ready.status == 200
    assert ready.json() == {"model": "tiny", "version": "7", "precision": "fp32"}


def test_single_texts_match_expected(server, expected):
    for item in expected["texts"]:
        response = http("POST", server.url + "/predict", {"text": item["text"]})
        assert response.status == 200, response.body
        doc = response.json()
        assert doc["model"] == {"name": "tiny", "version": "7"} and doc["request_id"]
        assert len(doc["predictions"]) == 1
        check_prediction(doc["predictions"][0], item)


def test_batches_match_expected(server, expected):
    texts = expected["texts"]
    for batch in expected["batches"]:
        response = http("POST", server.url + "/predict", {"texts": [texts[i]["text"] for i in batch["indices"]]})
        assert response.status == 200, response.body
        preds = response.json()["predictions"]
        assert len(preds) == len(batch["indices"])
        for p, i in zip(preds, batch["indices"]):
            check_prediction(p, texts[i])


def curl_post(url: str, raw: bytes, tmp_path) -> tuple[int, bytes]:
    """Large bodies go through curl: it sends `Expect: 100-continue`, so a server that answers
    413 before reading the body (steward-serve does) is seen answering 413. urllib would send
    the whole body and get a broken pipe when the server closes after its early answer."""
    if shutil.which("curl") is None:
        import pytest

        pytest.skip("curl not installed")
    f = tmp_path / "body.json"
    f.write_bytes(raw)
    p = subprocess.run(["curl", "-s", "-o", "-", "-w", "\n%{http_code}", "-X", "POST", "-H",
                        "Content-Type: application/json", "--data-binary", f"@{f}", url],
                       capture_output=True, timeout=60)
    body, _, code = p.stdout.rpartition(b"\n")
    return int(code), body


def test_bad_input_is_a_clear_4xx(server, tmp_path):
    url = server.url + "/predict"
    cases = {
        "invalid json": (b"{bad", (400,)),
        "not an object": (b"[1, 2]", (400, 422)),
        "wrong type": (json.dumps({"text": 3}).encode(), (400, 422)),
        "texts not strings": (json.dumps({"texts": ["a", 1]}).encode(), (400, 422)),
        "neither key": (b"{}", (400, 422)),
        "both keys": (json.dumps({"text": "a", "texts": ["b"]}).encode(), (400, 422)),
        "empty list": (json.dumps({"texts": []}).encode(), (400, 422)),
        "10k texts": (json.dumps({"texts": ["a"] * 10_000}).encode(), (413, 422)),
        "1 MB text": (json.dumps({"text": "a" * (1 << 20)}).encode(), (413, 422)),
        "invalid utf-8": (b'{"text": "\xff\xfe"}', (400, 422)),
    }
    for name, (raw, allowed) in cases.items():
        if len(raw) > 512 * 1024:
            status, body = curl_post(url, raw, tmp_path)
        else:
            response = http("POST", url, raw, content_type="application/json")
            status, body = response.status, response.body
        assert status in allowed, f"{name}: {status} {body[:200]!r}"
        assert b"error" in body, name
    # Still serving afterwards; empty string is a valid text.
    response = http("POST", url, {"text": ""})
    assert response.status == 200 and len(response.json()["predictions"]) == 1


def test_concurrent_clients_no_errors(server, expected):
    texts = [t["text"] for t in expected["texts"]]
    want = {t["text"]: t for t in expected["texts"]}
    errors: list[str] = []
    count = [0]
    lock = threading.Lock()
    stop_at = time.time() + 3.0

    def client(k: int) -> None:
        i = k
        while time.time() < stop_at:
            text = texts[i % len(texts)]
            i += 7
            response = http("POST", server.url + "/predict", {"text": text})
            with lock:
                count[0] += 1
            if response.status != 200:
                errors.append(f"{response.status} {response.body[:100]!r}")
                continue
            try:
                check_prediction(response.json()["predictions"][0], want[text])
            except AssertionError as e:
                errors.append(f"wrong answer for {text[:40]!r}: {e}")

    with ThreadPoolExecutor(64) as pool:
        list(pool.map(client, range(64)))
    assert not errors, f"{len(errors)} of {count[0]} failed: {errors[:5]}"
    assert count[0] >= 64
    if server.name == "steward-serve":
        response = http("GET", server.url + "/metrics")
        assert response.status == 200
        m = response.text
        buckets = {line.split('le="')[1].split('"')[0]: float(line.rsplit(" ", 1)[1])
                   for line in m.splitlines() if line.startswith("steward_serve_batch_size_bucket")}
        assert buckets and buckets["+Inf"] > buckets["1"], "no batch larger than 1 under 64 concurrent clients"
