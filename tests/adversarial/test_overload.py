"""Overload: ~50 clients running heavy searches for ~10 s against a stewardd with few workers.

Expected: every request is answered within 5 s with 200, or 503 with a Retry-After header
(shedding), and nothing else; `/health`, `/ready` and `/metrics` keep answering, each probe
within 1 s; the process survives. The probes' p50/p99 and the shed share are printed.

The load runs in a forked child process (50 threads) so that the probes, timed in this
process, do not queue behind the load generator's own threads.
stewardd runs with STEWARD_HTTP_WORKERS=4; STEWARD_HTTP_QUEUE is passed through when the
environment sets it (the queue bound being added with the fix).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from support import http, probe

RUNS = 2000
CLIENTS = 50
LOAD_SECONDS = 10.0
ANSWER_DEADLINE_S = 5.0
PROBE_DEADLINE_S = 1.0
PROBE_INTERVAL_S = 0.1


def seed_runs(server, experiment_id: str, count: int) -> None:
    def one(i: int):
        r = server.post("/api/2.0/mlflow/runs/create", {"experiment_id": experiment_id, "run_name": f"load-{i}"})
        assert r.status == 200, r
        run_id = r.json()["run"]["info"]["run_id"]
        r = server.post("/api/2.0/mlflow/runs/log-batch", {
            "run_id": run_id,
            "metrics": [{"key": f"m{k}", "value": (i * 7919 + k) % 1000 / 1000, "timestamp": 1, "step": 0}
                        for k in range(5)],
            "params": [{"key": f"p{k}", "value": f"value-{i % (k + 3)}"} for k in range(5)]})
        assert r.status == 200, r

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, range(count)))


def _load(url: str, token: str, experiment_id: str, results) -> None:
    """Child process: CLIENTS threads send heavy searches until LOAD_SECONDS have passed."""
    end = time.monotonic() + LOAD_SECONDS
    body = {"experiment_ids": [experiment_id], "max_results": 1000, "order_by": ["metrics.m0 DESC"],
            "filter": "params.p1 != 'nothing'"}
    lock = threading.Lock()
    tally: dict[str, int] = {}
    bad: list[str] = []

    def client(c: int):
        while time.monotonic() < end:
            started = time.monotonic()
            try:
                if c % 5 == 0:
                    r = http("GET", f"{url}/api/v1/runs?experiment_id={experiment_id}&limit=1000"
                             "&order_by=metrics.m1%20DESC", token=token, timeout=ANSWER_DEADLINE_S)
                else:
                    r = http("POST", url + "/api/2.0/mlflow/runs/search", body, token=token,
                             timeout=ANSWER_DEADLINE_S)
                took = time.monotonic() - started
                if r.status == 200:
                    key = "200"
                elif r.status == 503 and (r.header("Retry-After") or "").strip().isdigit():
                    key = "503"
                else:
                    key = f"{r.status}"
                    with lock:
                        bad.append(f"{r.status} {r.text[:120]!r}")
                if took > ANSWER_DEADLINE_S:
                    key = "slow"
            except OSError as error:
                key = f"no answer ({type(error).__name__})"
            with lock:
                tally[key] = tally.get(key, 0) + 1

    threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put((tally, bad[:5]))


def test_overload_sheds_with_503_and_keeps_probes_answering(make_stewardd):
    env = {"STEWARD_HTTP_WORKERS": "4", "STEWARD_DATABASE_POOL_SIZE": "4"}
    if os.environ.get("STEWARD_HTTP_QUEUE"):
        env["STEWARD_HTTP_QUEUE"] = os.environ["STEWARD_HTTP_QUEUE"]
    server = make_stewardd(env=env)
    experiment = server.post("/api/2.0/mlflow/experiments/create", {"name": "load"})
    assert experiment.status == 200, experiment
    experiment_id = experiment.json()["experiment_id"]
    seed_runs(server, experiment_id, RUNS)
    rss_before = server.rss_kib()

    context = multiprocessing.get_context("fork")
    results = context.Queue()
    load = context.Process(target=_load, args=(server.url, server.token, experiment_id, results))
    load.start()
    probes: dict[str, list[tuple[int | None, float]]] = {"/health": [], "/ready": [], "/metrics": []}
    stop = threading.Event()

    def prober(path: str) -> None:
        while not stop.is_set():
            started = time.monotonic()
            status = probe(server.url + path, timeout=PROBE_DEADLINE_S * 3)
            probes[path].append((status, time.monotonic() - started))
            stop.wait(PROBE_INTERVAL_S)  # probe cadence, not synchronisation

    probers = [threading.Thread(target=prober, args=(path,)) for path in probes]
    try:
        for t in probers:
            t.start()
        tally, bad = results.get(timeout=LOAD_SECONDS + 3 * ANSWER_DEADLINE_S + 30)
    finally:
        stop.set()
        for t in probers:
            t.join()
        load.join(timeout=30)
        if load.is_alive():
            load.kill()

    rss_after = server.rss_kib()
    total = sum(tally.values())
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(tally.items()))
    lines = [f"{total} heavy requests in {LOAD_SECONDS:.0f} s from {CLIENTS} clients: {summary}",
             f"RSS {rss_before / 1024:.0f} MiB -> {rss_after / 1024:.0f} MiB"]
    problems = []
    for path, samples in probes.items():
        # /ready may say 503 while the database pool is saturated; it must still answer.
        accepted = (200, 503) if path == "/ready" else (200,)
        times = sorted(took for status, took in samples if status is not None)
        statuses: dict[str, int] = {}
        for status, _ in samples:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        p50 = times[len(times) // 2] if times else float("nan")
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))] if times else float("nan")
        worst = max((took for _, took in samples), default=float("nan"))
        lines.append(f"{path}: {len(samples)} probes {statuses}, p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
                     f"max {worst * 1000:.1f} ms")
        wrong = [status for status, _ in samples if status not in accepted]
        if wrong:
            problems.append(f"{path}: {len(wrong)} of {len(samples)} probes unanswered or not "
                            f"{'/'.join(map(str, accepted))}")
        if samples and worst > PROBE_DEADLINE_S:
            problems.append(f"{path}: slowest probe {worst:.2f} s (bound {PROBE_DEADLINE_S:.0f} s)")
    print("\n".join(lines))
    unexpected = {k: v for k, v in tally.items() if k not in ("200", "503")}
    if unexpected:
        problems.append(f"requests not answered with 200 or 503+Retry-After within {ANSWER_DEADLINE_S:.0f} s: "
                        f"{unexpected} {bad}")
    if tally.get("200", 0) == 0:
        problems.append("no request succeeded at all")
    server.assert_alive()
    assert not problems, "; ".join(problems) + "\n" + "\n".join(lines)
