#!/usr/bin/env python3
"""Soak / overload bench for stewardd: what an operator needs to know before trusting it under load.

Four scenarios, each on its own stewardd (fresh database, fresh process, so each one's memory
figures are its own):

  overload   ~2,000 seeded runs, then 50 client threads of heavy runs/search (experiment 0,
             max_results 1000, a metric filter, ordered by a metric) for 25 s; two curl processes
             probe GET /ready and GET /health throughout. Prints requests, 200s,
             503s, every other status, the slowest answer, probe p50/p99 and RSS before / peak /
             after 10 s idle.
  ingest     a generated CSV (random words, balanced labels) of --ingest-mb MB uploaded with
             PUT /api/v1/datasets/{name}/{version}?format=csv streamed from disk; RSS growth,
             time and MB/s.
  logbatch   20 writers x 100 runs/log-batch calls to the same run with the same keys; errors,
             time, and whether every metric point arrived.
  pgrestart  a private PostgreSQL cluster stopped (pg_ctl stop -m fast) and started under light
             load; answers while it is down (503 with Retry-After vs anything else), time from the
             cluster being up to the first 200, and whether any 500 was seen.

Every figure is printed beside its target (from the overload issue) and a final table says which
are met. A missed target does not change the exit status: 1 means stewardd died or answered wrongly
(lost log-batch points, a wrong search answer), 2 that the bench could not run.

    .steward/venv/bin/python bench/soak/run.py --quick                  # ~1.5-2 min a build
    .steward/venv/bin/python bench/soak/run.py                          # full run (1 GB ingest)

Files: run.py (options, summary), scenarios.py (the scenarios), measure.py (timed HTTP, probes,
/proc). See README.md for how each figure is measured and the numbers measured so far.
    .steward/venv/bin/python bench/soak/run.py --quick --bin-dir .build/debug --baseline-bin-dir /tmp/main-bin
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))            # support.steward: stewardd, databases, clusters
sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import MB, BenchError, Figure, WrongAnswer, log  # noqa: E402
from scenarios import FULL, QUICK, SCENARIOS, Config, Context, copy_binaries, write_csv  # noqa: E402
from support.steward import StewarddError, admin_database_url  # noqa: E402


# --------------------------------------------------------------------------- main

def run_all(ctx: Context, names: list[str]) -> list[Figure]:
    figures: list[Figure] = []
    for name in names:
        t0 = time.monotonic()
        try:
            figures += SCENARIOS[name](ctx)
        except WrongAnswer as error:
            ctx.problems.append(f"{name}: {error}")
            figures.append(Figure(f"{name}: FAILED", str(error)[:200], "runs", False))
        log(f"{name}: {time.monotonic() - t0:.0f} s")
    return figures


def print_summary(columns: list[tuple[str, list[Figure]]]) -> None:
    names = []
    for _, figures in columns:
        for f in figures:
            if f.name not in names:
                names.append(f.name)
    width = max(len(n) for n in names) + 2
    value_width = 34
    header = f"{'figure':{width}}" + "".join(f"{label:{value_width}} {'met':5}" for label, _ in columns)
    print("\nSummary")
    print(header + " target")
    for name in names:
        line = f"{name:{width}}"
        target = "-"
        for _, figures in columns:
            f = next((f for f in figures if f.name == name), None)
            if f is None:
                line += f"{'':{value_width}} {'':5}"
                continue
            target = f.target if f.target != "-" else target
            met = "-" if f.met is None else ("yes" if f.met else "NO")
            shown = f.shown if len(f.shown) <= value_width - 1 else f.shown[:value_width - 4] + "..."
            line += f"{shown:{value_width}} {met:5}"
        print(line + " " + target)
        for label, figures in columns:   # long values (error texts) in full below their row
            f = next((f for f in figures if f.name == name), None)
            if f is not None and len(f.shown) > value_width - 1:
                print(f"    [{label}] {f.shown}")


def resolve_bin_dir(given: str | None) -> Path:
    if given:
        path = Path(given)
    elif os.environ.get("STEWARD_BIN_DIR"):
        path = Path(os.environ["STEWARD_BIN_DIR"])
    elif (ROOT / ".build/release/stewardd").exists():
        path = ROOT / ".build/release"
    else:
        path = ROOT / ".build/debug"
    return Path(os.path.abspath(path))   # as given (.build/debug is a link): the report names it so


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="8 s of overload, a 100 MB CSV, 5 s of PostgreSQL down "
                                                                   "(~2 min a build)")
    parser.add_argument("--bin-dir", help="folder with stewardd (default $STEWARD_BIN_DIR, else .build/release, "
                                          "else .build/debug); copied before use")
    parser.add_argument("--baseline-bin-dir", help="also run every scenario on this build first, and show both")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated subset of "
                                                                         + ",".join(SCENARIOS))
    parser.add_argument("--seed-runs", type=int)
    parser.add_argument("--clients", type=int)
    parser.add_argument("--duration", type=float, help="seconds of overload")
    parser.add_argument("--ingest-mb", type=int)
    parser.add_argument("--writers", type=int)
    parser.add_argument("--batches", type=int)
    parser.add_argument("--logbatch-limit", type=float, help="seconds after which log-batch writers stop")
    parser.add_argument("--pg-down", type=float, help="seconds PostgreSQL stays down")
    parser.add_argument("--rss-guard-mb", type=int, default=4096,
                        help="kill the ingest's stewardd when its RSS passes this (default 4096: an unfixed "
                             "build holds ~8x the body, which for 1 GB would take the box's memory)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for every stewardd (e.g. STEWARD_HTTP_WORKERS=8)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    base = QUICK if args.quick else FULL
    cfg = Config(seed_runs=args.seed_runs or base.seed_runs, clients=args.clients or base.clients,
                 load_s=args.duration or base.load_s, idle_s=base.idle_s, ingest_mb=args.ingest_mb or base.ingest_mb,
                 writers=args.writers or base.writers, batches=args.batches or base.batches,
                 logbatch_limit_s=args.logbatch_limit or base.logbatch_limit_s,
                 pg_down_s=args.pg_down if args.pg_down is not None else base.pg_down_s)
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; choose from {list(SCENARIOS)}")
    extra_env = dict(item.split("=", 1) for item in args.env)
    builds = [("baseline", resolve_bin_dir(args.baseline_bin_dir))] if args.baseline_bin_dir else []
    builds.append(("measured", resolve_bin_dir(args.bin_dir)))

    started = time.monotonic()
    columns: list[tuple[str, list[Figure]]] = []
    problems: list[str] = []
    labels: list[str] = []
    with tempfile.TemporaryDirectory(prefix="steward-soak-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            admin_url = admin_database_url()
        except StewarddError as error:
            print(f"bench/soak: {error}", file=sys.stderr)
            return 2
        csv = None
        if "ingest" in names:
            csv = tmp / f"soak-{cfg.ingest_mb}mb.csv"
            t0 = time.monotonic()
            rows = write_csv(csv, cfg.ingest_mb)
            csv.with_suffix(".rows").write_text(str(rows))
            log(f"generated a {csv.stat().st_size / MB:.0f} MB CSV ({rows} rows) in {time.monotonic() - t0:.1f} s")
        for kind, source in builds:
            try:
                copied = copy_binaries(source, tmp / f"bin-{kind}")
            except BenchError as error:
                print(f"bench/soak: {error}", file=sys.stderr)
                return 2
            log(f"{kind} build: {source}")
            build_started = time.monotonic()
            ctx = Context(cfg=cfg, bin_dir=copied, admin_url=admin_url, tmp=tmp / kind,
                          extra_env=extra_env, rss_guard_mb=args.rss_guard_mb, csv=csv)
            try:
                figures = run_all(ctx, names)
            except BenchError as error:
                print(f"bench/soak: {error}", file=sys.stderr)
                return 2
            columns.append((kind if len(builds) > 1 else "value", figures))
            labels.append(f"{kind}: {source} ({time.monotonic() - build_started:.0f} s)")
            problems += [f"[{kind} {source}] {p}" for p in ctx.problems]

    print(f"\nSoak bench ({'quick' if args.quick else 'full'}): {cfg}; extra env {extra_env or 'none'}")
    for label in labels:
        print(f"  {label}")
    print_summary(columns)
    if problems:
        print("\nPROBLEMS (exit 1):")
        for p in problems:
            print(f"  {p}")
    print(f"\n(total {time.monotonic() - started:.0f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; "
          f"targets are for a release build)")
    if args.json:
        args.json.write_text(json.dumps({"config": cfg.__dict__, "builds": [
            {"build": label, "figures": [f.as_dict() for f in figures]} for label, (_, figures) in zip(labels, columns)],
            "problems": problems}, indent=2) + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    # SIGTERM (timeout, Ctrl-C's cousin) unwinds like an exception: every stewardd is stopped, every
    # database dropped and the private cluster removed by the scenarios' finally blocks.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:
        traceback.print_exc()
        sys.exit(2)
