"""The four soak scenarios (overload, ingest, logbatch, pgrestart), each on its own stewardd and
database; each returns its figures, every one beside its target where the issue sets one."""

from __future__ import annotations

import http.client
import json
import os
import random
import secrets
import shutil
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from measure import (MB, Answer, BenchError, Connection, CurlProber, Figure, Prober, RSSSampler, WrongAnswer,
                     backends_cpu_seconds, call, cpu_seconds, idle_probe, log, metric_value, ms, percentile,
                     proc_status, reset_peak)
from support.steward import ScratchCluster, Stewardd, StewarddError, TestDatabase

MLFLOW = "/api/2.0/mlflow"

# Targets (the overload issue). Meant for a release build; a debug build is slower on CPU-bound work.
TARGET_SLOWEST_S = 5.0
TARGET_PEAK_RSS_MB = 300
TARGET_READY_P99_MS = 50.0
TARGET_INGEST_GROWTH_MB = 64

SEARCH_BODY = {"experiment_ids": ["0"], "max_results": 1000, "filter": "metrics.loss > 0",
               "order_by": ["metrics.acc DESC"]}


@dataclass(frozen=True)
class Config:
    seed_runs: int
    clients: int
    load_s: float
    idle_s: float
    ingest_mb: int
    writers: int
    batches: int
    logbatch_limit_s: float   # writers start no batch after this (a build that serialises them takes minutes)
    pg_down_s: float


FULL = Config(seed_runs=2000, clients=50, load_s=25, idle_s=10, ingest_mb=1024, writers=20, batches=100,
              logbatch_limit_s=120, pg_down_s=10)
QUICK = Config(seed_runs=2000, clients=50, load_s=8, idle_s=10, ingest_mb=100, writers=20, batches=100,
               logbatch_limit_s=30, pg_down_s=5)


# --------------------------------------------------------------------------- stewardd

@dataclass
class Context:
    cfg: Config
    bin_dir: Path          # a private copy of the binaries (the build folder may be rebuilt meanwhile)
    admin_url: str
    tmp: Path
    extra_env: dict[str, str]
    rss_guard_mb: int
    csv: Path | None = None
    problems: list[str] = field(default_factory=list)   # crashes and wrong answers: exit 1


def copy_binaries(source: Path, destination: Path) -> Path:
    """stewardd and its resource bundles (SwiftPM looks for `<Module>.resources` beside the executable)."""
    executable = source / "stewardd"
    if not (executable.is_file() and os.access(executable, os.X_OK)):
        raise BenchError(f"no stewardd in {source} (set --bin-dir or STEWARD_BIN_DIR)")
    destination.mkdir(parents=True)
    shutil.copy2(executable, destination / "stewardd")
    for bundle in source.glob("*.resources"):
        shutil.copytree(bundle, destination / bundle.name, symlinks=True)
    return destination


def launch(ctx: Context, name: str, database_url: str, env: dict[str, str] | None = None) -> Stewardd:
    os.environ["STEWARD_BIN_DIR"] = str(ctx.bin_dir)   # read by support.steward.binary() at start
    server = Stewardd(database_url=database_url, workdir=ctx.tmp / name,
                      env={**(env or {}), **ctx.extra_env})
    try:
        server.start()
    except StewarddError as error:
        raise BenchError(f"stewardd did not start for {name}: {error}") from error
    return server


def finish(ctx: Context, server: Stewardd, scenario: str, figures: list[Figure], killed_by_bench: bool = False) -> None:
    """Adds 'stewardd alive' and its error log lines to the figures, then stops it. A stewardd that
    died on its own is a problem (exit 1); one the bench killed (the ingest's RSS guard) is not."""
    alive = server.alive()
    if killed_by_bench:
        figures.append(Figure(f"{scenario}: stewardd still running", "killed by the bench's RSS guard", "yes", False))
    else:
        if not alive:
            summary = getattr(server, "crash_summary", lambda: server.stderr_tail(800))()
            ctx.problems.append(f"{scenario}: stewardd died (exit status {server.process.returncode}): {summary}")
        figures.append(Figure(f"{scenario}: stewardd still running", "yes" if alive else
                              f"NO (exit {server.process.returncode})", "yes", alive, alive))
    errors = error_lines(server)
    if errors:
        distinct = sorted(set(errors), key=errors.index)
        figures.append(Figure(f"{scenario}: stewardd error log lines", f"{len(errors)}: " + " | ".join(distinct[:3])[:300],
                              value=len(errors)))
    if alive:
        try:
            server.stop()
        except StewarddError as error:
            ctx.problems.append(f"{scenario}: {error}")
            server.kill()


def error_lines(server: Stewardd) -> list[str]:
    """The messages of stewardd's error-level log lines (JSON lines; crash text as it is)."""
    found = []
    for line in server.stderr_tail(2_000_000).splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if str(entry.get("level", "")).lower() in ("error", "critical", "fault"):
                text = str(entry.get("message", entry.get("msg", line)))
                if entry.get("route"):
                    text += f" [{entry['route']}]"
                if entry.get("error"):
                    text += f": {entry['error']}"
                found.append(text[:200])
        elif "Fatal error" in line or "Program crashed" in line:
            found.append(line[:160])
    return found


def fresh_database(ctx: Context, prefix: str) -> TestDatabase:
    try:
        return TestDatabase(ctx.admin_url, prefix=prefix)
    except Exception as error:  # psycopg2's errors: the cluster is not reachable
        raise BenchError(f"cannot create a database on {ctx.admin_url}: {error}") from error


# --------------------------------------------------------------------------- scenario 1: overload

def seed_runs(server: Stewardd, count: int, threads: int = 6) -> float:
    """`count` runs in experiment 0, each with 3 params, 3 tags and loss/acc/f1 over 5 steps
    (one log-batch); acc is a permutation of (0, 1), so the search order is known."""
    base_ms = int(time.time() * 1000)
    failures: list[str] = []

    def work(indices: range) -> None:
        conn = Connection(server.url, server.token, 60)
        for i in indices:
            created = conn.request("POST", f"{MLFLOW}/runs/create", json.dumps(
                {"experiment_id": "0", "run_name": f"soak-{i:05d}", "start_time": base_ms + i}).encode(), keep=4096)
            if created.status != 200:
                failures.append(f"runs/create {created.status} {created.body[:200]!r}")
                return
            run_id = json.loads(created.body)["run"]["info"]["run_id"]
            acc = ((i * 7919) % count + 0.5) / count
            metrics = [{"key": key, "value": value * (step + 1) / 5, "timestamp": base_ms + step, "step": step}
                       for step in range(5)
                       for key, value in (("loss", 2.0 - acc), ("acc", acc), ("f1", acc * 0.9))]
            batch = conn.request("POST", f"{MLFLOW}/runs/log-batch", json.dumps({
                "run_id": run_id, "metrics": metrics,
                "params": [{"key": "optimizer", "value": "adamw" if i % 2 else "sgd"},
                           {"key": "lr", "value": str(10 ** -(2 + i % 3))}, {"key": "batch_size", "value": "32"}],
                "tags": [{"key": "team", "value": f"team-{i % 7}"}, {"key": "soak", "value": "yes"},
                         {"key": "mlflow.note.content", "value": f"seeded run {i}"}]}).encode(), keep=512)
            if batch.status != 200:
                failures.append(f"runs/log-batch {batch.status} {batch.body[:200]!r}")
                return
        conn.close()

    started = time.monotonic()
    workers = [threading.Thread(target=work, args=(range(k, count, threads),), daemon=True) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if failures:
        raise WrongAnswer(f"seeding failed: {failures[0]}")
    return time.monotonic() - started


def check_search(server: Stewardd, count: int) -> int:
    """Checks the heavy search's answer (count, order); returns its size in bytes."""
    answer = call(server, "POST", f"{MLFLOW}/runs/search", SEARCH_BODY)
    runs = answer.get("runs", [])
    if len(runs) != min(1000, count):
        raise WrongAnswer(f"runs/search answered {len(runs)} runs, expected {min(1000, count)}")
    accs = [next(m["value"] for m in r["data"]["metrics"] if m["key"] == "acc") for r in runs]
    if accs != sorted(accs, reverse=True):
        raise WrongAnswer("runs/search did not order the runs by metrics.acc DESC")
    return len(json.dumps(answer, separators=(",", ":")))


def overload(ctx: Context) -> list[Figure]:
    cfg = ctx.cfg
    db = fresh_database(ctx, "steward_soak_overload")
    server = launch(ctx, "overload", db.url)
    figures: list[Figure] = []
    try:
        log(f"overload: seeding {cfg.seed_runs} runs ...")
        seeded_s = seed_runs(server, cfg.seed_runs)
        answer_bytes = check_search(server, cfg.seed_runs)
        body = json.dumps(SEARCH_BODY).encode()
        conn = Connection(server.url, server.token, 60)
        single = [conn.request("POST", f"{MLFLOW}/runs/search", body) for _ in range(5)]
        conn.close()
        single_s = [a.elapsed for a in single if a.status == 200]
        idle_ready, idle_health = idle_probe(server.url + "/ready"), idle_probe(server.url + "/health")
        log(f"overload: seeded in {seeded_s:.1f} s; one search alone {ms(statistics.median(single_s))}; "
            f"{cfg.clients} clients for {cfg.load_s:.0f} s ...")

        pid = server.pid
        peak_reset = reset_peak(pid)
        rss_before = proc_status(pid, "VmRSS")
        cpu_before, pg_cpu_before = cpu_seconds(pid), backends_cpu_seconds(db.name)
        load_before = os.getloadavg()[0]
        sampler = RSSSampler(pid)
        client_cpu_before = sum(os.times()[:2])
        answers: list[Answer] = []
        connections: list[Connection] = []
        deadline = time.monotonic() + cfg.load_s

        def client() -> None:
            c = Connection(server.url, server.token, 120)
            connections.append(c)
            while time.monotonic() < deadline:
                answer = c.request("POST", f"{MLFLOW}/runs/search", body, keep=300)
                if answer.status == 200:
                    answer.body = b""
                answers.append(answer)
                if answer.status == 503:
                    time.sleep(0.1)   # a short pause, not Retry-After's second: keep the pressure on
            c.close()

        sampler.start()
        probers = [CurlProber(server.url + path, int(cfg.load_s + 120) * 20) for path in ("/ready", "/health")]
        started = time.monotonic()
        threads = [threading.Thread(target=client, daemon=True) for _ in range(cfg.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - started
        cpu_used = cpu_seconds(pid) - cpu_before
        client_cpu = sum(os.times()[:2]) - client_cpu_before
        pg_cpu = backends_cpu_seconds(db.name) - pg_cpu_before
        ready, health = (p.stop() for p in probers)
        rss_peak_sampled = sampler.stop()
        rss_peak = proc_status(pid, "VmHWM") if peak_reset else rss_peak_sampled
        shed = metric_value(server, "steward_http_requests_shed_total")
        log(f"overload: load done in {wall:.1f} s; {cfg.idle_s:.0f} s idle ...")
        time.sleep(cfg.idle_s)
        rss_after = proc_status(pid, "VmRSS")

        statuses: dict[str, int] = {}
        for a in answers:
            statuses[str(a.status)] = statuses.get(str(a.status), 0) + 1
        ok = [a for a in answers if a.status == 200]
        shed_answers = [a for a in answers if a.status == 503]
        other = [a for a in answers if a.status not in (200, 503)]
        slowest = max((a.elapsed for a in answers), default=float("nan"))
        ready_ok = [t for code, t in ready if code == 200]
        ready_all = [t for _, t in ready]
        health_all = [t for _, t in health]
        probe_bad = [f"{p} {code}" for p, probes in (("/ready", ready), ("/health", health))
                     for code, _ in probes if code != 200]
        retries = sum(c.stale_retries for c in connections)

        print(f"\n== overload: {cfg.clients} clients x runs/search (max_results 1000, filter "
              f"{SEARCH_BODY['filter']!r}, order_by {SEARCH_BODY['order_by'][0]!r}) over {cfg.seed_runs} runs, "
              f"{cfg.load_s:.0f} s ({wall:.1f} s until the last answer)")
        print(f"   one search alone (idle, sequential): p50 {ms(statistics.median(single_s))}, "
              f"{answer_bytes / 1024:.0f} KiB; "
              f"idle /ready p50 {ms(percentile(idle_ready, 50))} p99 {ms(percentile(idle_ready, 99))}, "
              f"/health p50 {ms(percentile(idle_health, 50))}")
        print(f"   statuses: {dict(sorted(statuses.items()))}; 503 with Retry-After: "
              f"{sum(a.retry_after for a in shed_answers)}/{len(shed_answers)}; keep-alive connections found "
              f"closed and retried: {retries}")
        messages: dict[str, int] = {}
        for a in shed_answers:
            try:
                text = str(json.loads(a.body).get("message", a.body[:80]))
            except ValueError:
                text = repr(a.body[:80])
            messages[text] = messages.get(text, 0) + 1
        if messages:
            print(f"   503 messages: {messages}")
        if shed:
            print(f"   stewardd's steward_http_requests_shed_total: {shed} (503s counted there were never run)")
        for a in other[:3]:
            print(f"   other answer: {a.status} after {a.elapsed:.2f} s {a.body[:200]!r}")
        print(f"   200s: p50 {ms(percentile([a.elapsed for a in ok], 50))}, p99 "
              f"{ms(percentile([a.elapsed for a in ok], 99))}, {len(ok) / wall:.1f}/s; 503s: p50 "
              f"{ms(percentile([a.elapsed for a in shed_answers], 50))}, max "
              f"{ms(max((a.elapsed for a in shed_answers), default=float('nan')))}")
        print(f"   probes under load: /ready p50 {ms(percentile(ready_all, 50))} p99 {ms(percentile(ready_all, 99))} "
              f"max {ms(max(ready_all, default=float('nan')))} ({len(ready)} probes); /health p50 "
              f"{ms(percentile(health_all, 50))} p99 {ms(percentile(health_all, 99))} ({len(health)} probes)"
              + (f"; not 200: {probe_bad[:5]} ({len(probe_bad)} in all)" if probe_bad else ""))
        print(f"   RSS: before {rss_before / 1024:.0f} MB, peak {rss_peak / 1024:.0f} MB "
              f"({'VmHWM since the load began' if peak_reset else 'largest 100 ms sample'}), after {cfg.idle_s:.0f} s "
              f"idle {rss_after / 1024:.0f} MB; stewardd CPU {cpu_used:.1f} s over {wall:.1f} s "
              f"({cpu_used / wall:.2f} cores of {os.cpu_count()}), its PostgreSQL backends {pg_cpu:.1f} s, the bench's "
              f"clients {client_cpu:.1f} s; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")

        figures += [
            Figure("overload: requests answered", str(len(answers)), value=len(answers)),
            Figure("overload: 200s", f"{len(ok)} ({len(ok) / wall:.1f}/s)", value=len(ok)),
            Figure("overload: 503s (with Retry-After)",
                   f"{len(shed_answers)} ({sum(a.retry_after for a in shed_answers)})", value=len(shed_answers)),
            Figure("overload: other statuses and errors", str(len(other)) + (
                f" {sorted({str(a.status) for a in other})}" if other else ""), "0", not other, len(other)),
            Figure("overload: slowest answer", f"{slowest:.2f} s", f"<= {TARGET_SLOWEST_S:.0f} s",
                   slowest <= TARGET_SLOWEST_S, round(slowest, 3)),
            Figure("overload: 200 latency p50 / p99", f"{ms(percentile([a.elapsed for a in ok], 50))} / "
                   f"{ms(percentile([a.elapsed for a in ok], 99))}", value=percentile([a.elapsed for a in ok], 50)),
            Figure("overload: /ready p50 / p99 under load", f"{ms(percentile(ready_all, 50))} / "
                   f"{ms(percentile(ready_all, 99))}", f"p99 < {TARGET_READY_P99_MS:.0f} ms",
                   bool(ready_all) and percentile(ready_all, 99) * 1000 < TARGET_READY_P99_MS
                   and len(ready_ok) == len(ready_all),
                   round(percentile(ready_all, 99) * 1000, 2)),
            Figure("overload: /health p50 / p99 under load", f"{ms(percentile(health_all, 50))} / "
                   f"{ms(percentile(health_all, 99))}", value=round(percentile(health_all, 99) * 1000, 2)),
            Figure("overload: RSS before / peak / after idle",
                   f"{rss_before / 1024:.0f} / {rss_peak / 1024:.0f} / {rss_after / 1024:.0f} MB",
                   f"peak < {TARGET_PEAK_RSS_MB} MB", rss_peak / 1024 < TARGET_PEAK_RSS_MB, round(rss_peak / 1024, 1)),
        ]
        if probe_bad:
            figures.append(Figure("overload: probes not answered 200", f"{len(probe_bad)}: {probe_bad[:3]}",
                                  value=len(probe_bad)))
    finally:
        finish(ctx, server, "overload", figures)
        db.drop()
    return figures


# --------------------------------------------------------------------------- scenario 2: ingest

WORDS = ("the a film movie story plot actor actress scene director script music score camera ending "
         "beginning character cast performance dialogue pacing drama comedy thriller horror romance "
         "action sequel remake effects visual sound editing moment hour minute audience critic review "
         "good great bad awful brilliant dull boring moving funny tense slow fast clever stupid sharp "
         "warm cold charming bland fresh stale beautiful ugly strong weak honest fake bold timid "
         "is was feels seems looks plays works fails lands misses drags soars shines sinks never always "
         "often rarely quite very too so almost barely really truly simply just still yet and but or "
         "with without despite because although while its their this that every some no").split()


def write_csv(path: Path, megabytes: int, seed: int = 7) -> int:
    """A text,label CSV of about `megabytes` MB: short texts of 6-20 words (a fixed English-like
    vocabulary plus made-up words, so texts are nearly all distinct), labels balanced. Returns rows."""
    rng = random.Random(seed)
    made_up = ["".join(rng.choice("abcdefghiklmnoprstuvwy") for _ in range(rng.randint(3, 9))) for _ in range(4000)]
    vocabulary = WORDS * 60 + made_up
    phrases = [" ".join(rng.choices(vocabulary, k=rng.randint(2, 7))) for _ in range(60_000)]
    target = megabytes * MB
    rows = written = 0
    labels = ("negative", "positive")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("text,label\n")
        while written < target:
            picks = rng.choices(phrases, k=3 * 10_000)
            flips = rng.getrandbits(10_000)
            chunk = "".join(f"{picks[3 * i]} {picks[3 * i + 1]} {picks[3 * i + 2]},{labels[(flips >> i) & 1]}\n"
                            for i in range(10_000))
            f.write(chunk)
            written += len(chunk)
            rows += 10_000
    return rows


def ingest(ctx: Context) -> list[Figure]:
    assert ctx.csv is not None
    size = ctx.csv.stat().st_size
    rows = int(ctx.csv.with_suffix(".rows").read_text())
    db = fresh_database(ctx, "steward_soak_ingest")
    server = launch(ctx, "ingest", db.url, {"STEWARD_MAX_UPLOAD_BYTES": str(max(8 << 30, 2 * size))})
    figures: list[Figure] = []
    guard_kib = ctx.rss_guard_mb * 1024
    aborted = threading.Event()
    try:
        pid = server.pid
        peak_reset = reset_peak(pid)
        rss_before = proc_status(pid, "VmRSS")

        def guard(kib: int) -> None:
            # An unfixed build holds the body (and more) in memory: past the guard it is killed
            # rather than left to take the box's memory (and everyone else's tests) with it.
            if kib > guard_kib > 0 and not aborted.is_set():
                aborted.set()
                server.kill()

        sampler = RSSSampler(pid, 0.05, on_sample=guard)
        sampler.start()
        log(f"ingest: uploading {size / MB:.0f} MB ({rows} rows) ...")
        conn = http.client.HTTPConnection("127.0.0.1", urlsplit(server.url).port, timeout=3600)
        name = f"soak-{secrets.token_hex(3)}"
        started = time.monotonic()
        sent = 0
        status, answer_body, sent_s = None, b"", float("nan")
        try:
            conn.putrequest("PUT", f"/api/v1/datasets/{quote(name)}/v1?format=csv")
            conn.putheader("Authorization", f"Bearer {server.token}")
            conn.putheader("Content-Type", "text/csv")
            conn.putheader("Content-Length", str(size))
            conn.endheaders()
            with open(ctx.csv, "rb") as f:
                while chunk := f.read(MB):
                    conn.send(chunk)
                    sent += len(chunk)
            sent_s = time.monotonic() - started
            response = conn.getresponse()
            status, answer_body = response.status, response.read()
        except (OSError, http.client.HTTPException) as error:
            status = f"error:{type(error).__name__}"
            answer_body = str(error).encode()
        finally:
            conn.close()
        total_s = time.monotonic() - started
        sampled_peak = sampler.stop()
        rss_peak = proc_status(pid, "VmHWM") if peak_reset and server.alive() else sampled_peak
        growth_mb = (rss_peak - rss_before) / 1024
        detail = ""
        if status == 201:
            dataset = json.loads(answer_body)
            if dataset.get("rows") != rows:
                ctx.problems.append(f"ingest: stewardd counted {dataset.get('rows')} rows, the CSV has {rows}")
            detail = f"rows {dataset.get('rows')}, labels {dataset.get('label_counts')}"
        else:
            detail = f"{answer_body[:300]!r}"
        print(f"\n== ingest: PUT /api/v1/datasets/{name}/v1?format=csv, {size / MB:.0f} MB ({rows} rows) streamed "
              f"from disk with Content-Length")
        print(f"   answer {status} after {total_s:.1f} s (body sent in {sent_s:.1f} s, {sent / MB:.0f} MB): {detail}")
        print(f"   RSS: before {rss_before / 1024:.0f} MB, peak {rss_peak / 1024:.0f} MB, growth {growth_mb:.0f} MB"
              + (f"; stewardd KILLED by the bench's RSS guard at {guard_kib // 1024} MB, {sent / MB:.0f} MB "
                 f"of the body sent" if aborted.is_set() else ""))
        figures += [
            Figure("ingest: answer", ("none: stewardd killed at the RSS guard" if aborted.is_set() else str(status)),
                   "201", status == 201, str(status)),
            Figure(f"ingest: RSS growth ({size / MB:.0f} MB CSV)", f"{'>= ' if aborted.is_set() else ''}{growth_mb:.0f} MB "
                   f"({rss_before / 1024:.0f} -> {rss_peak / 1024:.0f})", f"< {TARGET_INGEST_GROWTH_MB} MB",
                   growth_mb < TARGET_INGEST_GROWTH_MB and not aborted.is_set(), round(growth_mb, 1)),
            Figure("ingest: time, throughput", "n/a (killed)" if aborted.is_set() else f"{total_s:.1f} s, {size / MB / total_s:.1f} MB/s"
                   + (f" (upload {sent_s:.1f} s)" if sent_s == sent_s else ""), value=round(total_s, 2)),
        ]
    finally:
        finish(ctx, server, "ingest", figures, killed_by_bench=aborted.is_set())
        db.drop()
    return figures


# --------------------------------------------------------------------------- scenario 3: concurrent log-batch

def logbatch(ctx: Context) -> list[Figure]:
    cfg = ctx.cfg
    db = fresh_database(ctx, "steward_soak_logbatch")
    server = launch(ctx, "logbatch", db.url)
    figures: list[Figure] = []
    try:
        run_id = call(server, "POST", f"{MLFLOW}/runs/create", {"experiment_id": "0", "run_name": "contended"}
                      )["run"]["info"]["run_id"]
        keys = ("loss", "acc", "f1", "lr")
        base_ms = int(time.time() * 1000)
        gate = threading.Barrier(cfg.writers)
        answers: list[Answer] = []

        def writer(w: int) -> None:
            conn = Connection(server.url, server.token, 60)
            gate.wait()
            for b in range(cfg.batches):
                if time.monotonic() > limit:
                    break
                step0 = (w * cfg.batches + b) * 5
                body = json.dumps({
                    "run_id": run_id,
                    "metrics": [{"key": k, "value": (step0 + s) * 0.001 + i, "timestamp": base_ms + step0 + s,
                                 "step": step0 + s} for s in range(5) for i, k in enumerate(keys)],
                    "params": [{"key": "optimizer", "value": "adamw"}, {"key": "epochs", "value": "10"}],
                    "tags": [{"key": "phase", "value": f"writer-{w}"}, {"key": "last_batch", "value": str(b)}],
                }).encode()
                answers.append(conn.request("POST", f"{MLFLOW}/runs/log-batch", body, keep=400))
            conn.close()

        log(f"logbatch: {cfg.writers} writers x {cfg.batches} batches to one run ...")
        started = time.monotonic()
        limit = started + cfg.logbatch_limit_s
        threads = [threading.Thread(target=writer, args=(w,), daemon=True) for w in range(cfg.writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - started
        ok = [a for a in answers if a.status == 200]
        bad = [a for a in answers if a.status != 200]
        statuses: dict[str, int] = {}
        for a in answers:
            statuses[str(a.status)] = statuses.get(str(a.status), 0) + 1
        planned = cfg.writers * cfg.batches
        points = 0
        if server.alive():
            history = call(server, "GET", f"{MLFLOW}/metrics/get-history?run_id={run_id}&metric_key=loss"
                                          f"&max_results=25000", timeout=120)
            points = len(history.get("metrics", []))
        expected = len(ok) * 5
        # A failed batch may still have committed (an error after the commit) or not: points between
        # the successes' and all batches' are explainable; fewer than the successes' are lost writes.
        lost = points < expected
        if lost:
            ctx.problems.append(f"logbatch: {points} 'loss' points stored, {expected} acknowledged")
        print(f"\n== logbatch: {cfg.writers} writers x {cfg.batches} log-batch calls (20 metrics of 4 keys, "
              f"2 params, 2 tags, all the same keys) to one run")
        if len(answers) < planned:
            print(f"   STOPPED after {cfg.logbatch_limit_s:.0f} s: {len(answers)} of {planned} batches sent")
        print(f"   statuses {dict(sorted(statuses.items()))} in {wall:.1f} s ({len(answers) / wall:.0f} batches/s); "
              f"latency p50 {ms(percentile([a.elapsed for a in answers], 50))} p99 "
              f"{ms(percentile([a.elapsed for a in answers], 99))}")
        for a in bad[:3]:
            print(f"   error answer: {a.status} {a.body[:300]!r}")
        print(f"   metric history of 'loss': {points} points; acknowledged batches carry {expected}")
        figures += [
            Figure("logbatch: errors (not 200)", f"{len(bad)} of {len(answers)}" + (
                f" {sorted(statuses.items())}" if bad else ""), "0", not bad, len(bad)),
            Figure("logbatch: batches answered", f"{len(answers)} of {planned}" + (
                f" (stopped at {cfg.logbatch_limit_s:.0f} s)" if len(answers) < planned else ""), str(planned),
                len(answers) == planned, len(answers)),
            Figure("logbatch: total time", f"{wall:.1f} s ({len(answers) / wall:.0f} batches/s)", value=round(wall, 2)),
            Figure("logbatch: acknowledged points stored", f"{points} of {expected}", f">= {expected}", not lost, points),
        ]
    finally:
        finish(ctx, server, "logbatch", figures)
        db.drop()
    return figures


# --------------------------------------------------------------------------- scenario 4: PostgreSQL restart

def pgrestart(ctx: Context) -> list[Figure]:
    cfg = ctx.cfg
    log("pgrestart: starting a private PostgreSQL cluster ...")
    try:
        cluster = ScratchCluster()
    except StewarddError as error:
        raise BenchError(str(error)) from error
    figures: list[Figure] = []
    server = None
    try:
        server = launch(ctx, "pgrestart", cluster.url)
        run_id = call(server, "POST", f"{MLFLOW}/runs/create", {"experiment_id": "0", "run_name": "restart"}
                      )["run"]["info"]["run_id"]
        search = json.dumps({"experiment_ids": ["0"], "max_results": 10}).encode()
        answers: list[Answer] = []
        halt = threading.Event()

        def client(k: int) -> None:
            conn = Connection(server.url, server.token, 30)
            n = 0
            while not halt.is_set():
                n += 1
                if (n + k) % 3 == 0:
                    a = conn.request("POST", f"{MLFLOW}/runs/log-batch", json.dumps({"run_id": run_id, "metrics": [
                        {"key": f"m{k}", "value": n, "timestamp": n, "step": n}]}).encode(), keep=300)
                elif (n + k) % 3 == 1:
                    a = conn.request("POST", f"{MLFLOW}/runs/search", search, keep=300)
                else:
                    a = conn.request("GET", f"{MLFLOW}/runs/get?run_id={run_id}", keep=300)
                if a.status == 200:
                    a.body = b""
                answers.append(a)
                halt.wait(0.05)
            conn.close()

        def first_connect(since: float) -> float:
            import psycopg2
            while True:
                try:
                    psycopg2.connect(cluster.url, connect_timeout=1).close()
                    return time.monotonic()
                except psycopg2.OperationalError:
                    if time.monotonic() - since > 120:
                        raise BenchError("the private cluster did not come back within 120 s")
                    time.sleep(0.01)

        prober = Prober(server.url, "/ready", 0.05, 10)
        clients = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(4)]
        prober.start()
        for t in clients:
            t.start()
        time.sleep(2)
        log(f"pgrestart: stopping PostgreSQL (-m fast) for {cfg.pg_down_s:.0f} s ...")
        t_stop = time.monotonic()
        cluster.stop()
        t_stopped = time.monotonic()
        time.sleep(cfg.pg_down_s)
        up_at: list[float] = []
        watcher = threading.Thread(target=lambda: up_at.append(first_connect(time.monotonic())), daemon=True)
        t_start = time.monotonic()
        watcher.start()
        cluster.start()
        watcher.join()
        t_up = up_at[0]
        end = time.monotonic() + 30
        while time.monotonic() < end and not any(a.status == 200 and a.finished > t_up for a in list(answers)):
            time.sleep(0.02)
        time.sleep(2)
        halt.set()
        for t in clients:
            t.join()
        ready = prober.stop()

        down = [a for a in answers if t_stop <= a.finished <= t_up]
        down_classes: dict[str, int] = {}
        for a in down:
            key = "503+Retry-After" if a.status == 503 and a.retry_after else str(a.status)
            down_classes[key] = down_classes.get(key, 0) + 1
        # A 200 here finished while `pg_ctl stop` was still shutting the server down: not a fault.
        down_bad = [a for a in down if a.status != 200 and not (a.status == 503 and a.retry_after)]
        five_hundreds = [a for a in answers if a.status == 500]
        firsts = [a.finished for a in answers if a.status == 200 and a.finished > t_up]
        first_200 = min(firsts) - t_up if firsts else float("nan")
        ready_firsts = [a.finished for a in ready if a.status == 200 and a.finished > t_up]
        ready_200 = min(ready_firsts) - t_up if ready_firsts else float("nan")
        ready_down: dict[str, int] = {}
        for a in ready:
            if t_stopped <= a.started and a.finished <= t_up:
                ready_down[str(a.status)] = ready_down.get(str(a.status), 0) + 1
        ready_503s = [a.finished for a in ready if a.status != 200 and a.finished > t_stopped]
        ready_down_after = min(ready_503s) - t_stopped if ready_503s else float("nan")
        after = [a for a in answers if a.finished > t_up]
        after_bad = [a.finished for a in after if a.status != 200]
        last_bad = max(after_bad) - t_up if after_bad else float("nan")
        after_classes: dict[str, int] = {}
        for a in after:
            after_classes[str(a.status)] = after_classes.get(str(a.status), 0) + 1

        print(f"\n== pgrestart: 4 light clients (log-batch, search, runs/get every 50 ms) + /ready prober; "
              f"pg_ctl stop -m fast took {t_stopped - t_stop:.2f} s, down {t_up - t_stopped:.1f} s, "
              f"pg_ctl start to accepting {t_up - t_start:.2f} s")
        print(f"   answers while down: {dict(sorted(down_classes.items()))}; /ready while down: {ready_down} "
              f"(first /ready not 200 {ms(ready_down_after)} after the cluster stopped)")
        for a in down_bad[:3]:
            print(f"   not a 503 with Retry-After while down: {a.status} after {a.elapsed:.2f} s {a.body[:200]!r}")
        print(f"   after the cluster accepted connections: first 200 in {ms(first_200)}, /ready 200 in "
              f"{ms(ready_200)}, last answer not 200 at {ms(last_bad) if after_bad else 'none'}; answers since: {dict(sorted(after_classes.items()))}")
        for a in [a for a in after if a.status != 200][:3]:
            print(f"   not 200 after: {a.status} {a.body[:200]!r}")
        figures += [
            Figure("pgrestart: answers while down", ", ".join(f"{k}: {v}" for k, v in sorted(down_classes.items())),
                   value=len(down)),
            Figure("pgrestart: while down, not 503+Retry-After", str(len(down_bad)) + (
                f" {sorted({str(a.status) for a in down_bad})}" if down_bad else ""), "0", not down_bad, len(down_bad)),
            Figure("pgrestart: 500s seen (whole scenario)", str(len(five_hundreds)), "0", not five_hundreds,
                   len(five_hundreds)),
            Figure("pgrestart: cluster up -> first 200", ms(first_200), value=round(first_200, 3)),
            Figure("pgrestart: cluster up -> last answer not 200", ms(last_bad) if after_bad else "none",
                   value=round(last_bad, 3) if after_bad else None),
            Figure("pgrestart: cluster up -> /ready 200", ms(ready_200), value=round(ready_200, 3)),
            Figure("pgrestart: cluster down -> /ready not 200", ms(ready_down_after), value=round(ready_down_after, 3)),
        ]
    finally:
        if server is not None:
            finish(ctx, server, "pgrestart", figures)
        cluster.destroy()
    return figures


SCENARIOS = {"overload": overload, "ingest": ingest, "logbatch": logbatch, "pgrestart": pgrestart}
