"""bench/serving/run.py: fails clearly without the steward-serve binary, and runs end to end
with the baseline on both sides plus the FastAPI + PyTorch server (short)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from support import ROOT

RUN = str(ROOT / "bench" / "serving" / "run.py")


def test_missing_binary_fails_clearly(tmp_path):
    p = subprocess.run([sys.executable, RUN, "--serve-bin", str(tmp_path / "nope")], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert "steward-serve binary not found" in p.stderr and "--serve-bin" in p.stderr


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk not installed")
def test_baseline_against_itself(tiny_model, tmp_path):
    out = tmp_path / "bench.json"
    p = subprocess.run([sys.executable, RUN, "--baseline-as-serve", "--model", str(tiny_model), "--concurrency", "4",
                        "--duration", "2", "--warmup", "1", "--texts", "200", "--parity-texts", "20",
                        "--raw-batch-sizes", "1,8", "--with-torch", "--json-out", str(out), "--keep-logs", str(tmp_path / "logs")],
                       capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stdout + p.stderr
    doc = json.loads(out.read_text())
    assert doc["parity"]["labels_equal"] == doc["parity"]["texts"] and doc["parity"]["max_abs_prob_diff"] == 0
    assert doc["parity_all"]["fastapi-torch"]["max_abs_prob_diff"] < 1e-4
    for name in ("baseline", "fastapi-torch", "baseline-as-serve"):
        r = doc["servers"][name]["4"]
        assert r["requests"] > 0 and r["errors"] == 0 and r["p99_ms"] >= r["p50_ms"] > 0
    assert "ratio baseline-as-serve/baseline at c=4" in p.stdout
    assert "ratio baseline-as-serve/fastapi-torch at c=4" in p.stdout
    assert set(doc["raw_onnxruntime"]) == {"1", "8"} or set(doc["raw_onnxruntime"]) == {1, 8}
