#!/usr/bin/env python3
"""Registry benchmark: the same stock-mlflow-client workload against stewardd and against MLflow's
own tracking server, both on loopback and both backed by the same PostgreSQL server (a fresh
database each).

Workload (per server, after a warm-up of the same operations in a separate experiment):
  log_batch        N runs x one MlflowClient.log_batch of 1000 metrics (10 keys x 100 steps)
  search_runs      K x search_runs(filter "metrics.acc > 0.5 and params.optimizer = 'adamw'",
                   order_by ["metrics.acc DESC"], max_results=100)
  get_metric_history  K x get_metric_history(run, "loss") (100 points), cycling over the runs
  get_model_version_by_alias  A x get_model_version_by_alias(model, "champion")
plus, as diagnostics only: the log-batch, search and alias calls as raw keep-alive HTTP (the
servers without the client), and the client alone, its HTTP transport answering in-process with
stewardd's recorded answers (the client's own cost, which bounds every client-measured ratio).

Prints metrics/s and p50/p99 per operation for both servers, the ratios, and whether the targets
of the Registry issue are met (Steward >= 10x MLflow on log_batch throughput and on search_runs
latency; Steward's get-by-alias p99 < 5 ms). A missed target is printed, not an exit status: the
process exits non-zero only when the benchmark itself cannot run or a server answers wrongly.

    .steward/venv/bin/python bench/registry/run.py            # ~2-3 min
    .steward/venv/bin/python bench/registry/run.py --quick    # ~30-45 s (MLflow's start-up dominates)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import servers  # noqa: E402
from servers import BenchError, log  # noqa: E402

METRICS_PER_BATCH = 1000
METRIC_KEYS = ["loss", "acc"] + [f"m{i}" for i in range(2, 10)]
STEPS = METRICS_PER_BATCH // len(METRIC_KEYS)  # 100
SEARCH_FILTER = "metrics.acc > 0.5 and params.optimizer = 'adamw'"
SEARCH_ORDER = ["metrics.acc DESC"]
ALIAS = "champion"

# The Scale issue's restatement: the server's own time (raw HTTP, pre-encoded, keep-alive) against
# MLflow's server, and through the stock client the client's own floor (no server at all).
TARGET_SERVER_SPEEDUP = 20.0      # log_batch throughput and search_runs p50, raw HTTP
TARGET_ALIAS_RAW_P99_MS = 1.0     # alias lookup, raw HTTP
TARGET_CLIENT_OVER_FLOOR = 1.10   # through the client: within 10% of the client alone


@dataclass(frozen=True)
class Config:
    runs: int
    repeats: int          # search_runs and get_metric_history calls
    alias_repeats: int    # get_model_version_by_alias calls
    warmup_runs: int
    warmup_repeats: int


DEFAULT = Config(runs=40, repeats=100, alias_repeats=250, warmup_runs=3, warmup_repeats=10)
QUICK = Config(runs=10, repeats=20, alias_repeats=60, warmup_runs=2, warmup_repeats=5)


# --------------------------------------------------------------------------- statistics

def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n*q/100)
    return ordered[int(rank) - 1]


@dataclass
class OpResult:
    latencies_s: list[float] = field(default_factory=list)
    items: int = 0  # metrics written (log_batch only)

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies_s, 50) * 1000

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies_s, 99) * 1000

    @property
    def throughput(self) -> float:
        return self.items / sum(self.latencies_s) if self.latencies_s else 0.0

    def as_dict(self) -> dict:
        return {"calls": len(self.latencies_s), "p50_ms": round(self.p50_ms, 3), "p99_ms": round(self.p99_ms, 3),
                "mean_ms": round(statistics.fmean(self.latencies_s) * 1000, 3),
                **({"metrics_per_s": round(self.throughput, 1)} if self.items else {})}


def timed(result: OpResult, fn, *args, **kwargs):
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    result.latencies_s.append(time.perf_counter() - start)
    return value


# --------------------------------------------------------------------------- the workload

def acc_of(index: int, runs: int) -> float:
    """The final `acc` of run `index`: a permutation of (0, 1) over the runs, no ties."""
    return (((index * 37) % runs) + 0.5) / runs + index * 1e-9


def batch_for(index: int, runs: int, base_ms: int):
    from mlflow.entities import Metric

    final_acc = acc_of(index, runs)
    metrics = []
    for step in range(STEPS):
        ts = base_ms + step
        for key in METRIC_KEYS:
            if key == "loss":
                value = 1.0 / (step + 1) + index * 1e-4
            elif key == "acc":
                value = final_acc * (step + 1) / STEPS
            else:
                value = (index * 31 + step * 7 + len(key)) % 101 / 101.0
            metrics.append(Metric(key, value, ts, step))
    assert len(metrics) == METRICS_PER_BATCH
    return metrics


def expected_search(runs: int) -> list[str]:
    matching = [i for i in range(runs) if i % 2 == 0 and acc_of(i, runs) > 0.5]
    return [run_name(i) for i in sorted(matching, key=lambda i: acc_of(i, runs), reverse=True)][:100]


def run_name(index: int) -> str:
    return f"bench-run-{index:04d}"


class WrongAnswer(AssertionError):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise WrongAnswer(message)


def workload(server: servers.Process, cfg: Config, measured: bool,
             answers: dict[str, bytes]) -> dict[str, OpResult]:
    """Runs the workload once (measured or as warm-up) and returns the per-operation results;
    `answers` receives the server's last raw search and alias answers (bodies for the stub)."""
    from mlflow import MlflowClient
    from mlflow.entities import Param, RunTag

    os.environ["MLFLOW_TRACKING_TOKEN"] = server.token
    client = MlflowClient(tracking_uri=server.url)
    runs = cfg.runs if measured else cfg.warmup_runs
    repeats = cfg.repeats if measured else cfg.warmup_repeats
    alias_repeats = cfg.alias_repeats if measured else cfg.warmup_repeats * 2
    tag = "bench" if measured else "warmup"
    results = {name: OpResult() for name in
               ("log_batch", "search_runs", "get_metric_history", "get_model_version_by_alias", "alias_raw_http",
                 "log_batch_raw_http", "search_raw_http", "health_raw_http")}

    experiment_id = client.create_experiment(f"{tag}-{uuid.uuid4().hex[:10]}")
    base_ms = int(time.time() * 1000)
    run_ids = []
    for index in range(runs):
        run = client.create_run(experiment_id, run_name=run_name(index))
        run_ids.append(run.info.run_id)
        # Params in their own (untimed) call: the timed batch is exactly 1000 metrics.
        client.log_batch(run.info.run_id, params=[
            Param("optimizer", "adamw" if index % 2 == 0 else "sgd"), Param("lr", "0.001")],
            tags=[RunTag("bench", tag)])
        batch = batch_for(index, runs, base_ms)
        timed(results["log_batch"], client.log_batch, run.info.run_id, metrics=batch)
        results["log_batch"].items += len(batch)
    for run_id in run_ids:
        client.set_terminated(run_id)

    expected = expected_search(runs)
    for _ in range(repeats):
        found = timed(results["search_runs"], client.search_runs, [experiment_id], SEARCH_FILTER,
                      order_by=SEARCH_ORDER, max_results=100)
        names = [r.info.run_name for r in found]
        check(names == expected, f"{server.name}: search_runs returned {names[:5]}... "
                                 f"({len(names)} runs), expected {expected[:5]}... ({len(expected)} runs)")

    for i in range(repeats):
        history = timed(results["get_metric_history"], client.get_metric_history, run_ids[i % runs], "loss")
        check(len(history) == STEPS, f"{server.name}: get_metric_history returned {len(history)} points, "
                                     f"expected {STEPS}")

    model = f"{tag}-model-{uuid.uuid4().hex[:10]}"
    client.create_registered_model(model)
    source_run = client.get_run(run_ids[0])
    version = client.create_model_version(model, source=source_run.info.artifact_uri + "/model",
                                          run_id=run_ids[0], await_creation_for=15)
    client.set_registered_model_alias(model, ALIAS, version.version)
    for _ in range(alias_repeats):
        got = timed(results["get_model_version_by_alias"], client.get_model_version_by_alias, model, ALIAS)
        check(got.version == version.version, f"{server.name}: alias answered version {got.version}")

    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {server.token}"
    url = server.url + "/api/2.0/mlflow/registered-models/alias"
    for _ in range(alias_repeats):
        response = timed(results["alias_raw_http"], session.get, url, params={"name": model, "alias": ALIAS},
                         timeout=30)
        check(response.status_code == 200, f"{server.name}: raw alias GET answered {response.status_code}")
    answers["registered-models/alias"] = response.content
    # The transport's own floor: the same session and loopback, a route that does no work.
    for _ in range(alias_repeats):
        timed(results["health_raw_http"], session.get, server.url + "/health", timeout=30)

    search_url = server.url + "/api/2.0/mlflow/runs/search"
    search_body = {"experiment_ids": [experiment_id], "filter": SEARCH_FILTER, "order_by": SEARCH_ORDER,
                   "max_results": 100}
    for _ in range(repeats):
        response = timed(results["search_raw_http"], session.post, search_url, json=search_body, timeout=30)
        check(response.status_code == 200 and len(response.json().get("runs", [])) == len(expected),
              f"{server.name}: raw search answered {response.status_code} {response.text[:300]}")
    answers["runs/search"] = response.content

    # Raw log-batch: the same 1000-metric batches, JSON encoded before the clock starts, into
    # fresh runs (so the runs above keep exactly 100 points per key); half as many calls.
    raw_experiment = client.create_experiment(f"{tag}-raw-{uuid.uuid4().hex[:10]}")
    log_batch_url = server.url + "/api/2.0/mlflow/runs/log-batch"
    for index in range(max(2, runs // 2)):
        run_id = client.create_run(raw_experiment, run_name=run_name(index)).info.run_id
        body = json.dumps({"run_id": run_id, "metrics": [
            {"key": m.key, "value": m.value, "timestamp": m.timestamp, "step": m.step}
            for m in batch_for(index, runs, base_ms)]}).encode()
        response = timed(results["log_batch_raw_http"], session.post, log_batch_url, data=body,
                         headers={"Content-Type": "application/json"}, timeout=60)
        check(response.status_code == 200, f"{server.name}: raw log-batch answered {response.status_code} "
                                           f"{response.text[:300]}")
        results["log_batch_raw_http"].items += METRICS_PER_BATCH
    session.close()
    return results


def steward_route_times(server: servers.Process) -> dict[str, tuple[int, float]]:
    """stewardd's own view from GET /metrics: route -> (requests, mean seconds), warm-up included."""
    import re
    import urllib.request

    request = urllib.request.Request(server.url + "/metrics", headers={"Authorization": f"Bearer {server.token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    sums, counts = {}, {}
    for match in re.finditer(r'^steward_http_request_duration_seconds_(sum|count)\{route="([^"]*)"\} (\S+)$', text, re.M):
        (sums if match.group(1) == "sum" else counts)[match.group(2)] = float(match.group(3))
    return {route: (int(counts[route]), sums.get(route, 0.0) / counts[route]) for route in counts if counts[route]}


def client_floors(cfg: Config, answers: dict[str, bytes]) -> dict[str, OpResult]:
    """The stock client's own cost per call: the same log_batch, search_runs and
    get_model_version_by_alias calls with the HTTP transport replaced in-process by one that
    answers at once with stewardd's recorded answers (`{}` for log-batch): no network, no
    server. No server measured through the client can be faster than this, which bounds every
    client-measured ratio."""
    from unittest import mock
    from urllib.parse import urlsplit

    from mlflow import MlflowClient
    from requests.adapters import HTTPAdapter
    from requests.models import Response

    def answer(adapter, request, **kwargs):
        response = Response()
        response.status_code = 200
        response._content = answers.get(urlsplit(request.url).path.removeprefix("/api/2.0/mlflow/"), b"{}")
        response.headers["Content-Type"] = "application/json"
        response.encoding = "utf-8"
        response.url, response.request = request.url, request
        return response

    client = MlflowClient(tracking_uri="http://127.0.0.1:9")  # the discard port: nothing is sent
    floors = {name: OpResult() for name in ("log_batch", "search_runs", "get_model_version_by_alias")}
    base_ms = int(time.time() * 1000)
    with mock.patch.object(HTTPAdapter, "send", answer):
        for index in range(cfg.warmup_runs + cfg.runs):
            batch = batch_for(index, cfg.runs, base_ms)
            result = floors["log_batch"] if index >= cfg.warmup_runs else OpResult()
            timed(result, client.log_batch, "0" * 32, metrics=batch)
            result.items += len(batch)
        for index in range(cfg.warmup_repeats + cfg.repeats):
            result = floors["search_runs"] if index >= cfg.warmup_repeats else OpResult()
            found = timed(result, client.search_runs, ["0"], SEARCH_FILTER, order_by=SEARCH_ORDER, max_results=100)
            check(len(found) == len(expected_search(cfg.runs)), f"the client parsed {len(found)} recorded runs")
        for index in range(cfg.warmup_repeats + cfg.alias_repeats):
            result = floors["get_model_version_by_alias"] if index >= cfg.warmup_repeats else OpResult()
            timed(result, client.get_model_version_by_alias, "model", ALIAS)
    return floors


# --------------------------------------------------------------------------- report

ROWS = [
    ("log_batch", "log_batch (1000 metrics)"),
    ("log_batch_raw_http", "  log_batch, raw HTTP pre-encoded"),
    ("search_runs", "search_runs (filter+order_by)"),
    ("search_raw_http", "  search, raw HTTP keep-alive"),
    ("get_metric_history", "get_metric_history (100 pts)"),
    ("get_model_version_by_alias", "get_model_version_by_alias"),
    ("alias_raw_http", "  alias, raw HTTP keep-alive"),
    ("health_raw_http", "  /health, raw HTTP (transport floor)"),
]


def row(label: str, who: str, res: OpResult) -> None:
    throughput = f"{res.throughput:10.0f}" if res.items else ""
    print(f"{label:32} {who:8} {res.p50_ms:9.2f} {res.p99_ms:9.2f} {len(res.latencies_s):6d}   {throughput}")


def ceiling(mlflow_: OpResult, floor: OpResult) -> float:
    """The best client-measured Steward/MLflow ratio any server could show: MLflow's time over the
    client's own (throughput for log_batch, p50 latency otherwise)."""
    return floor.throughput / mlflow_.throughput if floor.items else mlflow_.p50_ms / floor.p50_ms


def report(steward: dict[str, OpResult], mlflow_: dict[str, OpResult],
           floors: dict[str, OpResult]) -> list[tuple[str, bool, str]]:
    print()
    print(f"{'operation':32} {'':8} {'p50 ms':>9} {'p99 ms':>9} {'calls':>6}   {'metrics/s':>10}")
    for key, label in ROWS:
        row(label, "steward", steward[key])
        row("", "mlflow", mlflow_[key])
        s, m = steward[key], mlflow_[key]
        line = (f"{'':32} {'ratio':8} p50 S/M {s.p50_ms / m.p50_ms:.3f} (Steward {m.p50_ms / s.p50_ms:.1f}x faster), "
                f"p99 S/M {s.p99_ms / m.p99_ms:.3f} ({m.p99_ms / s.p99_ms:.1f}x)")
        if s.items:
            line += f", throughput S/M {s.throughput / m.throughput:.2f}x"
        print(line)
        if key in floors:
            row("  client alone (no server)", "client", floors[key])
            print(f"{'':32} {'':8} the stock client's own cost per call: no server measured through it can "
                  f"beat MLflow by more than {ceiling(m, floors[key]):.1f}x here")

    raw_log_batch = steward["log_batch_raw_http"].throughput / mlflow_["log_batch_raw_http"].throughput
    raw_search = mlflow_["search_raw_http"].p50_ms / steward["search_raw_http"].p50_ms
    alias_raw_p99 = steward["alias_raw_http"].p99_ms
    targets = [
        (f"log_batch server time (raw HTTP) Steward/MLflow >= {TARGET_SERVER_SPEEDUP:.0f}x",
         raw_log_batch >= TARGET_SERVER_SPEEDUP,
         f"{raw_log_batch:.2f}x ({steward['log_batch_raw_http'].throughput:.0f} vs "
         f"{mlflow_['log_batch_raw_http'].throughput:.0f} metrics/s)"),
        (f"search_runs server time (raw HTTP, p50) MLflow/Steward >= {TARGET_SERVER_SPEEDUP:.0f}x",
         raw_search >= TARGET_SERVER_SPEEDUP,
         f"{raw_search:.2f}x ({steward['search_raw_http'].p50_ms:.2f} vs {mlflow_['search_raw_http'].p50_ms:.2f} ms)"),
        (f"alias lookup p99 (raw HTTP) < {TARGET_ALIAS_RAW_P99_MS:.0f} ms", alias_raw_p99 < TARGET_ALIAS_RAW_P99_MS,
         f"p99 {alias_raw_p99:.3f} ms, p50 {steward['alias_raw_http'].p50_ms:.3f} ms; ceiling: a /health round trip "
         f"on the same session, no work at all, p99 {steward['health_raw_http'].p99_ms:.3f} ms, p50 "
         f"{steward['health_raw_http'].p50_ms:.3f} ms"),
    ]
    # Through the stock client: Steward's p50 per call against the client alone (no server).
    for key, name in (("log_batch", "log_batch"), ("search_runs", "search_runs"),
                      ("get_model_version_by_alias", "alias lookup")):
        over = steward[key].p50_ms / floors[key].p50_ms
        targets.append((f"{name} through the stock client within {TARGET_CLIENT_OVER_FLOOR - 1:.0%} of the client "
                        f"alone (p50)", over <= TARGET_CLIENT_OVER_FLOOR,
                        f"{steward[key].p50_ms:.2f} ms vs {floors[key].p50_ms:.2f} ms alone ({over:.2f}x; "
                        f"MLflow's server through it {mlflow_[key].p50_ms:.2f} ms); ceiling: alone + a /health round "
                        f"trip = {(floors[key].p50_ms + steward['health_raw_http'].p50_ms) / floors[key].p50_ms:.2f}x "
                        f"before the server does any work"))
    print()
    print("Targets (restated by the Scale issue):")
    for name, met, detail in targets:
        print(f"  [{'MET   ' if met else 'MISSED'}] {name}: {detail}")
    return targets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small workload (~30-45 s in all)")
    parser.add_argument("--runs", type=int, help="runs (log_batch calls of 1000 metrics) per server")
    parser.add_argument("--repeats", type=int, help="search_runs and get_metric_history calls per server")
    parser.add_argument("--alias-repeats", type=int, help="get_model_version_by_alias calls per server")
    parser.add_argument("--mlflow-workers", type=int, default=1,
                        help="uvicorn workers of MLflow's server (default 1: the client is sequential, "
                             "and each worker adds seconds of start-up)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    base = QUICK if args.quick else DEFAULT
    cfg = Config(runs=args.runs or base.runs, repeats=args.repeats or base.repeats,
                 alias_repeats=args.alias_repeats or base.alias_repeats,
                 warmup_runs=base.warmup_runs, warmup_repeats=base.warmup_repeats)

    # A 5xx must fail at once instead of being retried with backoff; no telemetry.
    os.environ.update({"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "60",
                       "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true",
                       "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true"})
    import logging
    import warnings

    import mlflow  # noqa: F401  (configures its loggers on import; quieten them after)

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", category=FutureWarning)

    started = time.monotonic()
    dbs = servers.Databases(servers.admin_database_url())
    processes: list[servers.Process] = []
    with tempfile.TemporaryDirectory(prefix="steward-bench-registry-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            template = servers.mlflow_template(dbs)
            steward_db = dbs.create("steward_bench")
            mlflow_db = dbs.create("mlflow_bench", template=template)
            log(f"starting stewardd and mlflow server (workers={args.mlflow_workers}) on {dbs.admin_url} ...")
            t0 = time.monotonic()
            steward = servers.start_stewardd(steward_db, tmp)
            processes.append(steward)
            log(f"stewardd ready in {time.monotonic() - t0:.1f} s ({steward.extra['binary']})")
            t0 = time.monotonic()
            mlflow_server = servers.start_mlflow(mlflow_db, tmp, workers=args.mlflow_workers)
            processes.append(mlflow_server)
            log(f"mlflow server ready in {time.monotonic() - t0:.1f} s")

            results, cpu, answers = {}, {}, {}
            for server in (steward, mlflow_server):
                t0 = time.monotonic()
                workload(server, cfg, measured=False, answers={})
                cpu_before = server.cpu_seconds()
                results[server.name] = workload(server, cfg, measured=True,
                                                answers=answers if server is steward else {})
                cpu[server.name] = server.cpu_seconds() - cpu_before
                server.check_alive()
                log(f"{server.name}: workload done in {time.monotonic() - t0:.1f} s")
            route_times = steward_route_times(steward)
            floors = client_floors(cfg, answers)
        except BenchError as error:
            print(f"bench/registry: {error}", file=sys.stderr)
            return 2
        except Exception as error:  # a wrong answer, or an error the mlflow client raised
            import traceback

            traceback.print_exc()
            print(f"{'WRONG ANSWER' if isinstance(error, WrongAnswer) else 'FAILED'}: {error}", file=sys.stderr)
            for process in processes:
                print(f"--- {process.name} stderr (tail)\n{process.stderr_tail(3000)}", file=sys.stderr)
            return 1
        finally:
            for process in processes:
                process.stop()
            dbs.close()

    print(f"Registry benchmark: stock mlflow {mlflow.__version__} client, sequential, loopback; "
          f"{cfg.runs} runs x {METRICS_PER_BATCH} metrics, {cfg.repeats} searches/histories, "
          f"{cfg.alias_repeats} alias lookups per server")
    print(f"stewardd: {steward.extra['binary']}; MLflow server: uvicorn, {args.mlflow_workers} workers; "
          f"both on PostgreSQL {dbs.admin_url.rsplit('@', 1)[-1].rsplit('/', 1)[0]} (separate databases)")
    targets = report(results["stewardd"], results["mlflow server"], floors)
    print("\nstewardd's own time per route (GET /metrics, warm-up included; the rest of a client-measured "
          "latency is the client and the loopback):")
    for route, (count, mean_s) in sorted(route_times.items(), key=lambda item: -item[1][0] * item[1][1]):
        print(f"  {route:52} {count:6d} requests, mean {mean_s * 1000:8.2f} ms")
    print(f"\nserver CPU (user+system of its processes, PostgreSQL not included) over the measured workload: "
          f"stewardd {cpu['stewardd']:.1f} s, MLflow {cpu['mlflow server']:.1f} s "
          f"(ratio S/M {cpu['stewardd'] / cpu['mlflow server']:.3f})")
    print(f"\n(total {time.monotonic() - started:.0f} s; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs)")
    if args.json:
        args.json.write_text(json.dumps({
            "config": cfg.__dict__,
            "steward": {k: v.as_dict() for k, v in results["stewardd"].items()},
            "mlflow": {k: v.as_dict() for k, v in results["mlflow server"].items()},
            "client_alone": {k: v.as_dict() for k, v in floors.items()},
            "server_cpu_s": {"steward": round(cpu["stewardd"], 2), "mlflow": round(cpu["mlflow server"], 2)},
            "steward_route_mean_ms": {r: round(m * 1000, 3) for r, (_, m) in route_times.items()},
            "targets": [{"target": n, "met": m, "detail": d} for n, m, d in targets],
        }, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
