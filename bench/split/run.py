#!/usr/bin/env python3
"""What a shadow step costs a user: the local traffic split's latency with shadowing off and on.

    STEWARD_BIN_DIR=.build/release .steward/venv/bin/python bench/split/run.py [--duration 10] [--json FILE]

Starts stewardd with its split (a fresh database on the test PostgreSQL cluster) in front of two
steward-serve processes serving the tiny fixture model (stable: version 1; canary: version 2, the
same model), then drives POST /predict on the split with wrk at 1 and 64 connections: first with no
rollout (every request to stable), then during a shadow step (every request also copied to the
canary in the background, its answer dropped). Prints p50/p99 and req/s per concurrency, and the
p50 the shadow copy adds on the user's path against the target (< 0.5 ms). Both phases run in this
one process tree on the same machine, back to back; on 2 cores the copies compete with the stable
process for CPU at c=64, which is what a user would see on such a box.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from support import Stewardd, TestDatabase  # noqa: E402

TARGET_ADDED_P50_MS = 0.5
FIXTURE = ROOT / ".steward/fixtures/tiny-model"

LUA = r"""
local bodies = {'{"text": "a fine and moving film"}', '{"text": "dull, long and far too loud"}',
                '{"text": "the cast is great but the plot is thin"}'}
local counter = 0
function request()
  counter = counter + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, bodies[(counter % #bodies) + 1])
end
function done(summary, latency, requests)
  io.write(string.format('WRKJSON {"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, ' ..
    '"p50_us": %d, "p99_us": %d}\n', summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50), latency:percentile(99)))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(message: str) -> None:
    print(f"[split-bench] {message}", file=sys.stderr, flush=True)


def wait(what: str, condition, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise SystemExit(f"split-bench: timed out waiting for {what}")
        time.sleep(0.2)  # polling interval


def register_tiny_model(server: Stewardd) -> None:
    """`sentiment` with the tiny fixture as versions 1 and 2; champion (Production) on 1."""
    assert server.post("/api/v1/models", {"name": "sentiment"}).status == 201
    run = server.post("/api/2.0/mlflow/runs/create", {"experiment_id": "0"}).json()["run"]["info"]["run_id"]
    for name in ("model.onnx", "vocab.txt", "steward.json", "model_card.md"):
        answer = server.put(f"/api/2.0/mlflow-artifacts/artifacts/0/{run}/artifacts/model/{name}",
                            (FIXTURE / name).read_bytes(), content_type="application/octet-stream")
        assert answer.status == 200, answer
    source = f"mlflow-artifacts:/0/{run}/artifacts/model"
    for _ in range(2):
        answer = server.post("/api/2.0/mlflow/model-versions/create", {"name": "sentiment", "source": source,
                                                                       "run_id": run})
        assert answer.status == 200, answer
    assert server.put("/api/v1/models/sentiment/aliases/champion", {"version": 1, "promote": True}).status == 200


def start_serve(binary: Path, server: Stewardd, port: int, track: str, alias: str, work: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    env.update({"STEWARD_REGISTRY_URL": server.url, "STEWARD_REGISTRY_TOKEN": server.token,
                "STEWARD_MODEL_NAME": "sentiment", "STEWARD_MODEL_ALIAS": alias, "STEWARD_SERVE_TRACK": track,
                "STEWARD_SERVE_PORT": str(port), "STEWARD_MODEL_POLL_SECONDS": "0.5",
                "STEWARD_DATABASE_URL": server.database_url, "STEWARD_MODEL_CACHE": str(work / f"cache-{track}")})
    out = open(work / f"serve-{track}.log", "w")
    return subprocess.Popen([str(binary)], env=env, stdout=out, stderr=out, start_new_session=True)


def split_state(url: str) -> dict:
    import urllib.request
    with urllib.request.urlopen(url + "/split", timeout=2) as answer:
        return json.loads(answer.read())


def wrk(url: str, connections: int, seconds: float, lua: Path) -> dict:
    threads = min(2, connections)
    p = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
                        "--timeout", "10s", "-s", str(lua), url + "/predict"], capture_output=True, text=True)
    line = next((x for x in p.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if p.returncode != 0 or line is None:
        raise SystemExit(f"split-bench: wrk failed ({p.returncode}): {p.stdout[-400:]} {p.stderr[-400:]}")
    r = json.loads(line[len("WRKJSON "):])
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    return r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per measured run")
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--json", type=Path, help="write the results here too")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("split-bench: wrk is not on PATH (apt-get install wrk)")
    bin_dir = Path(os.environ.get("STEWARD_BIN_DIR", ROOT / ".build/debug"))
    serve_binary = bin_dir / "steward-serve"
    if not FIXTURE.is_dir() or not serve_binary.exists():
        raise SystemExit("split-bench: needs .steward/fixtures/tiny-model (scripts/fixtures.sh) and steward-serve")
    work = Path(tempfile.mkdtemp(prefix="steward-split-bench-"))
    lua = work / "predict.lua"
    lua.write_text(LUA)
    stable_port, canary_port, split_port = free_port(), free_port(), free_port()
    database = TestDatabase(prefix="steward_split_bench")
    server = Stewardd(database.url, work / "stewardd", env={
        "STEWARD_SPLIT_PORT": str(split_port), "STEWARD_SPLIT_MODEL": "sentiment",
        "STEWARD_SPLIT_STABLE_URL": f"http://127.0.0.1:{stable_port}",
        "STEWARD_SPLIT_CANARY_URL": f"http://127.0.0.1:{canary_port}", "STEWARD_ROLLOUT_INTERVAL_MS": "200"})
    serves: list[subprocess.Popen] = []
    try:
        server.start()
        register_tiny_model(server)
        serves = [start_serve(serve_binary, server, stable_port, "stable", "champion", work),
                  start_serve(serve_binary, server, canary_port, "canary", "challenger", work)]
        split = f"http://127.0.0.1:{split_port}"
        wait("the split", lambda: _answers(split + "/health"))
        wait("stable", lambda: _answers(f"http://127.0.0.1:{stable_port}/ready"))
        results: dict[str, dict[int, dict]] = {}
        for phase in ("off", "on"):
            if phase == "on":
                answer = server.post("/api/v1/rollouts", {"model": "sentiment", "canary_version": 2,
                                                          "steps": [{"shadow_seconds": 86400}, {"weight": 100}]})
                assert answer.status == 201, answer
                wait("the shadow step", lambda: split_state(split).get("shadow") and split_state(split)["canary_ready"])
            results[phase] = {}
            for connections in (1, 64):
                wrk(split, connections, args.warmup, lua)
                results[phase][connections] = wrk(split, connections, args.duration, lua)
                r = results[phase][connections]
                log(f"shadow {phase:3} c={connections:<2} p50 {r['p50_us'] / 1000:.3f} ms p99 {r['p99_us'] / 1000:.3f} ms "
                    f"{r['rps']:.0f} req/s non-2xx {r['non2xx']} socket errors {r['errors']}")
        print(f"\nlocal split, POST /predict, tiny model, load average {os.getloadavg()[0]:.1f}")
        print(f"{'c':>3} {'p50 off':>9} {'p50 on':>9} {'added p50':>10} {'p99 off':>9} {'p99 on':>9} "
              f"{'req/s off':>10} {'req/s on':>9}  target (added p50 < {TARGET_ADDED_P50_MS} ms)")
        for c in (1, 64):
            off, on = results["off"][c], results["on"][c]
            added = (on["p50_us"] - off["p50_us"]) / 1000
            print(f"{c:>3} {off['p50_us'] / 1000:>8.3f}ms {on['p50_us'] / 1000:>8.3f}ms {added:>9.3f}ms "
                  f"{off['p99_us'] / 1000:>8.2f}ms {on['p99_us'] / 1000:>8.2f}ms {off['rps']:>10.0f} {on['rps']:>9.0f}  "
                  f"{'met' if added < TARGET_ADDED_P50_MS else 'MISSED'}")
            if added >= TARGET_ADDED_P50_MS:
                print(f"    ceiling at c={c}: with {os.cpu_count()} CPUs for both serving processes, the copies double "
                      f"the inference work (req/s on/off = {on['rps'] / off['rps']:.2f}); the p50 added is stable "
                      "waiting for CPU, not the split's path (c=1 shows that)")
        mirrored = database.query("SELECT count(*) FROM steward.prediction_log WHERE shadow")[0][0]
        print(f"shadow copies the canary logged: {mirrored}")
        refused = database.query("SELECT track, shadow, status, error, count(*) FROM steward.prediction_log "
                                 "WHERE status >= 400 GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC")
        for track, shadow, status, error, n in refused:
            print(f"refused: {n} x {status} {error} ({track}{', shadow copy' if shadow else ''})")
        import urllib.request
        with urllib.request.urlopen(split + "/metrics", timeout=5) as answer:
            shed = [line for line in answer.read().decode().splitlines()
                    if not line.startswith("#") and ("503" in line or "shed" in line or "queue" in line)]
        for line in shed:
            print(f"split /metrics: {line}")
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
        return 0
    finally:
        for p in serves:
            p.terminate()
        for p in serves:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        if server.alive():
            server.stop()
        database.drop()


def _answers(url: str) -> bool:
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:
            return answer.status == 200
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
