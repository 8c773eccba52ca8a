"""bench/scale/serving.py: the prediction log and the monitor at a sustained 2,000 predictions/s.

stewardd (fresh database on the test cluster, a short prediction retention) and `--serves`
steward-serve processes serving the tiny fixture model from disk, each logging every prediction to
Postgres. Paced clients send `{"texts": [...]}` batches at `--rate` predictions/s in all for
`--duration` seconds. Printed: the rate reached, answers that were not 200, rows written and dropped
by each serve's log writer (the log keeps up when nothing is dropped and every answered text is a
row), PostgreSQL's CPU per 1,000 predictions (every backend of the database: serving's inserts and
the monitor's rollups, counts and pruning), the prediction log's size against the bound retention
sets, the monitor's pass times from stewardd's log, and RSS.

    STEWARD_BIN_DIR=.build/release .steward/venv/bin/python bench/scale/serving.py [--duration 600]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench" / "soak"))
from measure import backends_cpu_seconds, proc_status  # noqa: E402
from support import Stewardd, TestDatabase, free_port, wait_until  # noqa: E402

FIXTURE = ROOT / ".steward/fixtures/tiny-model"
WORDS = ("the film was a fine and moving story with great cast but the plot felt thin dull long loud "
         "bright quiet warm cold sharp slow clever silly brave gentle honest odd").split()


def log(message: str) -> None:
    print(f"[serving-scale] {message}", file=sys.stderr, flush=True)


def start_serve(binary: Path, database_url: str, port: int, work: Path, index: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    env.update({"STEWARD_MODEL_PATH": str(FIXTURE), "STEWARD_MODEL_NAME": "scale", "STEWARD_MODEL_VERSION": "1",
                "STEWARD_SERVE_PORT": str(port), "STEWARD_DATABASE_URL": database_url,
                "STEWARD_MAX_TEXTS": "64"})
    out = open(work / f"serve-{index}.log", "w")
    return subprocess.Popen([str(binary)], env=env, stdout=out, stderr=out, start_new_session=True)


def metrics(port: int) -> dict[str, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    values: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("steward_prediction_log_"):
            key, _, value = line.rpartition(" ")
            values[key.split("{")[0]] = values.get(key.split("{")[0], 0.0) + float(value)
    return values


class Client(threading.Thread):
    """Sends one batch every `interval` seconds on a keep-alive connection (paced, not closed-loop:
    a slow answer delays the next send but the schedule catches up)."""

    def __init__(self, port: int, interval: float, texts: int, until: float, seed: int):
        super().__init__(daemon=True)
        self.port, self.interval, self.texts, self.until = port, interval, texts, until
        self.random = random.Random(seed)
        self.answered = self.not_ok = 0
        self.latencies: list[float] = []

    def body(self) -> bytes:
        texts = [" ".join(self.random.choices(WORDS, k=self.random.randint(3, 30))) for _ in range(self.texts)]
        return json.dumps({"texts": texts}).encode()

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        next_send = time.monotonic()
        while next_send < self.until:
            delay = next_send - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # pacing: the schedule, not a wait for anything
            body = self.body()
            started = time.perf_counter()
            try:
                conn.request("POST", "/predict", body=body, headers={"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                ok = False
            self.latencies.append(time.perf_counter() - started)
            if ok:
                self.answered += self.texts
            else:
                self.not_ok += 1
            next_send += self.interval


def table_rows(database: TestDatabase) -> int:
    import psycopg2

    with psycopg2.connect(database.url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM steward.prediction_log")
        return cur.fetchone()[0]


def pass_times(stderr: Path, message: str) -> list[float]:
    times = []
    for line in stderr.read_text(errors="replace").splitlines():
        if f'"{message}"' in line:
            try:
                times.append(float(json.loads(line).get("ms", 0)))
            except ValueError:
                continue
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rate", type=float, default=2000.0, help="predictions per second in all (default 2000)")
    ap.add_argument("--duration", type=float, default=120.0, help="seconds of load (the issue's run: 600)")
    ap.add_argument("--serves", type=int, default=2, help="steward-serve processes (default 2)")
    ap.add_argument("--texts", type=int, default=16, help="texts per request (default 16)")
    ap.add_argument("--clients", type=int, default=4, help="paced client threads per serve (default 4)")
    ap.add_argument("--retention-seconds", type=int, default=180,
                    help="stewardd's prediction retention (default 180 s, so that the bound shows in a short run)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    bin_dir = Path(os.environ.get("STEWARD_BIN_DIR", ROOT / ".build/release"))
    serve_binary = bin_dir / "steward-serve"
    if not FIXTURE.is_dir() or not serve_binary.exists():
        raise SystemExit("serving-scale: needs .steward/fixtures/tiny-model (scripts/fixtures.sh) and steward-serve")
    work = Path(tempfile.mkdtemp(prefix="steward-serving-scale-"))
    database = TestDatabase(prefix="steward_serving_scale")
    server = Stewardd(database.url, work / "stewardd", env={
        "STEWARD_PREDICTION_RETENTION_DAYS": repr(args.retention_seconds / 86400)})
    serves: list[subprocess.Popen] = []
    try:
        server.start()
        ports = [free_port() for _ in range(args.serves)]
        serves = [start_serve(serve_binary, database.url, port, work, i) for i, port in enumerate(ports)]
        for port in ports:
            wait_until(lambda p=port: _ready(p), 60)
        name = database.url.rsplit("/", 1)[1]
        cpu_before = backends_cpu_seconds(name)
        started = time.monotonic()
        until = started + args.duration
        per_client_rate = args.rate / args.texts / (args.serves * args.clients)  # requests/s per client
        clients = [Client(port, 1.0 / per_client_rate, args.texts, until, seed=i * 100 + j)
                   for i, port in enumerate(ports) for j in range(args.clients)]
        for client in clients:
            client.start()
        log(f"{args.rate:.0f} predictions/s for {args.duration:.0f} s: {len(clients)} clients, "
            f"{args.texts} texts per request, {args.serves} serves; retention {args.retention_seconds} s")
        sizes: list[tuple[float, int]] = []
        while any(c.is_alive() for c in clients):
            sizes.append((time.monotonic() - started, table_rows(database)))
            log(f"t={sizes[-1][0]:5.0f} s prediction_log {sizes[-1][1]:,} rows")
            for client in clients:
                client.join(timeout=max(0.0, 15.0 - (time.monotonic() - started - sizes[-1][0])))
        elapsed = time.monotonic() - started
        cpu = backends_cpu_seconds(name) - cpu_before
        # The writers drain their queues after the load stops; then every answered text is a row.
        wait_until(lambda: all(metrics(p).get("steward_prediction_log_queue_depth", 1) == 0 for p in ports), 60)
        logged = [metrics(p) for p in ports]
        answered = sum(c.answered for c in clients)
        not_ok = sum(c.not_ok for c in clients)
        written = sum(m.get("steward_prediction_log_written_total", 0) for m in logged)
        dropped = sum(m.get("steward_prediction_log_dropped_total", 0) for m in logged)
        latencies = sorted(x for c in clients for x in c.latencies)
        bound = args.rate * (args.retention_seconds + 60 + 15)
        peak = max(rows for _, rows in sizes)
        after_retention = [rows for t, rows in sizes if t > args.retention_seconds + 75]
        rollups = pass_times(server.stderr_path, "rolled up serving minutes")
        counting = pass_times(server.stderr_path, "counted feature values")
        rss = {"stewardd": proc_status(server.pid, "VmRSS") / 1024,
               **{f"steward-serve {i}": proc_status(p.pid, "VmRSS") / 1024 for i, p in enumerate(serves)}}
        result = {
            "rate_target": args.rate, "rate_reached": answered / elapsed, "duration_s": round(elapsed, 1),
            "answered_texts": answered, "requests_not_200": not_ok,
            "request_p50_ms": latencies[len(latencies) // 2] * 1000 if latencies else None,
            "request_p99_ms": latencies[int(len(latencies) * 0.99)] * 1000 if latencies else None,
            "rows_written": written, "rows_dropped": dropped,
            "postgres_cpu_s": round(cpu, 2),
            "postgres_cpu_ms_per_1k_predictions": round(cpu * 1e6 / max(1, answered), 2),
            "table_rows_peak": peak, "table_bound": bound, "table_rows_samples": sizes,
            "rollup_pass_ms": rollups, "feature_count_pass_ms": counting,
            "rss_mb": {k: round(v, 1) for k, v in rss.items()},
        }
        print(f"Serving at scale: {args.serves} steward-serve, tiny model, {args.texts} texts per request, "
              f"{args.duration:.0f} s")
        print(f"  rate: {result['rate_reached']:.0f} predictions/s reached (target {args.rate:.0f}); requests not "
              f"200: {not_ok}; request p50 {result['request_p50_ms']:.1f} ms, p99 {result['request_p99_ms']:.1f} ms")
        keeps_up = dropped == 0 and written == answered
        print(f"  log: {written:,.0f} rows written, {dropped:,.0f} dropped, {answered:,} texts answered -> "
              f"{'KEEPS UP' if keeps_up else 'FELL BEHIND'}")
        print(f"  PostgreSQL CPU: {cpu:.1f} s in all, {result['postgres_cpu_ms_per_1k_predictions']:.1f} ms per "
              f"1,000 predictions ({cpu / elapsed:.2f} cores)")
        bounded = peak <= bound and (not after_retention or after_retention[-1] <= bound)
        print(f"  prediction_log: peak {peak:,} rows, last {sizes[-1][1]:,}; bound rate x (retention + 75 s) = "
              f"{bound:,.0f} -> {'BOUNDED' if bounded else 'OVER THE BOUND'}"
              + ("" if after_retention else " (run longer than retention + 75 s to see pruning)"))
        if rollups:
            print(f"  monitor rollup passes: {len(rollups)}, max {max(rollups):.0f} ms, mean "
                  f"{sum(rollups) / len(rollups):.0f} ms")
        if counting:
            print(f"  monitor feature-count passes: {len(counting)}, max {max(counting):.0f} ms, mean "
                  f"{sum(counting) / len(counting):.0f} ms")
        print("  RSS (MB): " + ", ".join(f"{k} {v:.0f}" for k, v in rss.items()))
        if args.json:
            args.json.write_text(json.dumps(result, indent=2) + "\n")
        return 0 if keeps_up and bounded and not_ok == 0 else 1
    finally:
        for serve in serves:
            serve.terminate()
        for serve in serves:
            try:
                serve.wait(timeout=15)
            except subprocess.TimeoutExpired:
                serve.kill()
        server.stop()
        database.drop()


def _ready(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/ready")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
