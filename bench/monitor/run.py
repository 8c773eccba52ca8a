"""PSI over a window of logged predictions: stewardd (in Postgres, GET /api/v1/drift)
against the `evidently` package on the same rows exported to pandas, in one run.

The predictions are spread over 25 minutes ending 5 minutes ago. stewardd's monitor
counts each closed minute's feature values once as they arrive (streaming); a PSI
query then reads those counts. Both costs are printed: the one-off counting (from
stewardd's log) and the query; the target compares the query with evidently.

    .steward/venv/bin/python bench/monitor/run.py [--rows 1000000] [--bin-dir .build/release]

Needs the test PostgreSQL (STEWARD_TEST_DATABASE_URL, default the test cluster) and a
built stewardd. Prints both times, the ratio and both PSI values (they must agree).
"""
import argparse
import io
import json
import os
import sys
import time
import urllib.request
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg2

ROOT = Path(__file__).resolve().parents[2]
warnings.filterwarnings("ignore", message="pandas only supports SQLAlchemy")
sys.path.insert(0, str(ROOT / "bench" / "registry"))
from servers import Databases, admin_database_url, start_stewardd  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--bin-dir", default=os.environ.get("STEWARD_BIN_DIR", str(ROOT / ".build" / "release")))
    ap.add_argument("--feature", default="char_length")
    ap.add_argument("--scale-to", type=int, default=0,
                    help="then time PSI over the per-minute counts of this many predictions (e.g. 100000000): the "
                         "monitor's own counts of --rows, copied into earlier minutes until they stand for as many")
    args = ap.parse_args()

    rng = np.random.default_rng(11)
    os.environ["STEWARD_BIN_DIR"] = args.bin_dir
    databases = Databases(admin_database_url())
    url = databases.create("bench_monitor")
    import tempfile
    tmp = Path(tempfile.mkdtemp(prefix="bench-monitor-"))
    server = start_stewardd(url, tmp)
    if True:
        try:
            # Reference: 5,000 texts; current: args.rows logged predictions with a shift.
            lengths = np.clip(rng.normal(20, 6, 5000), 1, None).astype(int)
            csv = "text,label\n" + "\n".join(f"{'x' * n} {i},{'positive' if i % 2 else 'negative'}" for i, n in enumerate(lengths)) + "\n"
            request = urllib.request.Request(server.url + "/api/v1/datasets/ref/1?format=csv", data=csv.encode(), method="PUT",
                                             headers={"Authorization": f"Bearer {server.token}"})
            urllib.request.urlopen(request, timeout=120).read()
            current = np.clip(rng.normal(26, 9, args.rows), 1, None).astype(int)
            at = datetime.now(timezone.utc) - timedelta(minutes=30)
            spacing = 25 * 60 * 1_000_000 // args.rows  # microseconds between predictions: 25 minutes in all
            started = time.time()
            buffer = io.StringIO()
            for i, n in enumerate(current):
                buffer.write(f"{(at + timedelta(microseconds=i * spacing)).isoformat()}\tm\t1\tstable\t1\tpositive\t0.9\t{n}\t1\t0\t0\n")
            buffer.seek(0)
            with psycopg2.connect(url) as conn, conn.cursor() as cur:
                cur.copy_expert("COPY steward.prediction_log (at, model_name, model_version, track, latency_ms, label, confidence, "
                                "char_length, word_count, oov_share, non_letter_share) FROM STDIN", buffer)
                cur.execute("ANALYZE steward.prediction_log")
            print(f"loaded {args.rows:,} predictions in {time.time() - started:.1f} s")
            # The leader's monitor counts closed minutes on its next passes (every 15 s).
            last = at + timedelta(microseconds=(args.rows - 1) * spacing)
            deadline = time.time() + 300
            with psycopg2.connect(url) as conn, conn.cursor() as cur:
                while True:
                    cur.execute("SELECT rolled_up_to FROM steward.feature_counts_progress")
                    row = cur.fetchone()
                    conn.commit()
                    if row and row[0] > last:
                        break
                    if time.time() > deadline:
                        raise SystemExit("stewardd's monitor did not count the predictions within 5 minutes")
                    time.sleep(1)
            counting_ms = sum(json.loads(line).get("ms", 0) for line in server.stderr_path.read_text().splitlines()
                              if '"counted feature values"' in line)
            window = f"&from={(at - timedelta(minutes=1)).isoformat().replace('+00:00', 'Z')}&to={datetime.now(timezone.utc).isoformat().replace('+00:00', 'Z')}"

            def steward(method: str) -> tuple[float, dict]:
                t = time.perf_counter()
                req = urllib.request.Request(f"{server.url}/api/v1/drift?model=m&dataset=ref@1&feature={args.feature}&method={method}{window}",
                                             headers={"Authorization": f"Bearer {server.token}"})
                body = json.load(urllib.request.urlopen(req, timeout=600))
                return time.perf_counter() - t, body

            steward("evidently")  # warm the cache, as the pandas side reads warm data too
            s_time, s_body = steward("evidently")
            q_time, q_body = steward("quantile")

            from evidently.legacy.calculations.stattests.psi import _psi
            from evidently.legacy.core import ColumnType
            t = time.perf_counter()
            with psycopg2.connect(url) as conn:
                cur_frame = pd.read_sql(f"SELECT {args.feature}::float8 AS v FROM steward.prediction_log WHERE model_name = 'm'", conn)
                ref_frame = pd.read_sql(f"SELECT value AS v FROM steward.reference_values WHERE feature = '{args.feature}'", conn)
            export = time.perf_counter() - t
            t = time.perf_counter()
            e_psi, _ = _psi(ref_frame["v"], cur_frame["v"], ColumnType.Numerical, 0.1)
            e_compute = time.perf_counter() - t
            e_total = export + e_compute

            print(f"{args.rows:,} predictions, feature {args.feature}")
            print(f"  stewardd's monitor counted them once, as they arrived: {counting_ms:9.1f} ms in all (every feature)")
            print(f"  stewardd, Evidently's method in Postgres: {s_time * 1000:9.1f} ms   PSI {s_body['psi']:.9f} ({s_body['bins']} bins)")
            print(f"  stewardd, reference-quantile method:      {q_time * 1000:9.1f} ms   PSI {q_body['psi']:.9f}")
            print(f"  evidently package on pandas:              {e_total * 1000:9.1f} ms   PSI {float(e_psi):.9f}  "
                  f"(export to pandas {export * 1000:.1f} ms + PSI {e_compute * 1000:.1f} ms)")
            same = abs(s_body["psi"] - float(e_psi)) < 1e-6
            ratio = e_total / s_time
            print(f"ratio evidently/steward (same method, export included): {ratio:.1f}x; "
                  f"PSI computation alone {e_compute / s_time:.2f}x; values equal to 1e-6: {same}")
            print(f"target >= 20x faster with the same values: {'MET' if ratio >= 20 and same else 'MISSED'}")
            if args.scale_to > args.rows:
                same = scaled_windows(server, url, args, s_body["psi"], q_body["psi"]) and same
            return 0 if same else 1
        finally:
            server.stop()
            databases.close()


TARGET_WINDOW_MS = 50.0


def scaled_windows(server, url: str, args, evidently_psi: float, quantile_psi: float) -> bool:
    """PSI over windows of 1 h up to the whole history when the counts stand for --scale-to predictions.

    The monitor's counts of the real predictions are copied into the minutes before them, each copy a
    whole span earlier, until they stand for --scale-to predictions (the rows the monitor would have
    written had the same traffic gone on that long). Every count is multiplied by the same factor over
    the whole history, so the PSI of the whole window must equal the real rows' PSI exactly."""
    copies = args.scale_to // args.rows
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT min(minute), max(minute) FROM steward.feature_counts_1m WHERE model_name = 'm'")
        first, last = cur.fetchone()
        span = last - first + timedelta(minutes=1)
        t = time.perf_counter()
        cur.execute("INSERT INTO steward.feature_counts_1m (model_name, feature, minute, model_version, track, value, "
                    "n) SELECT model_name, feature, minute - c * %s, model_version, track, value, n "
                    "FROM steward.feature_counts_1m, generate_series(1, %s) c WHERE model_name = 'm'",
                    (span, copies - 1))
        cur.execute("ANALYZE steward.feature_counts_1m")
        cur.execute("SELECT count(*), sum(n) FILTER (WHERE feature = %s) FROM steward.feature_counts_1m",
                    (args.feature,))
        rows, predictions = cur.fetchone()
    start = first - (copies - 1) * span
    print(f"\nCounts standing for {predictions:,} predictions ({copies} copies of the {args.rows:,} counted, "
          f"{rows:,} count rows over {(last + timedelta(minutes=1) - start) / timedelta(hours=1):.1f} h; "
          f"copied in {time.perf_counter() - t:.1f} s)")
    now = datetime.now(timezone.utc)
    iso = lambda d: d.isoformat().replace("+00:00", "Z")  # noqa: E731
    windows = [("1 h", last + timedelta(minutes=1) - timedelta(hours=1)),
               ("6 h", last + timedelta(minutes=1) - timedelta(hours=6)),
               ("24 h", last + timedelta(minutes=1) - timedelta(hours=24)), ("all", start)]
    ok = True
    print(f"  {'window':8} {'method':10} {'p50 ms':>8} {'max ms':>8}  PSI")
    for label, since in windows:
        for method in ("evidently", "quantile"):
            times, body = [], None
            for _ in range(5):
                t = time.perf_counter()
                req = urllib.request.Request(
                    f"{server.url}/api/v1/drift?model=m&dataset=ref@1&feature={args.feature}&method={method}"
                    f"&from={iso(max(since, start))}&to={iso(now)}",
                    headers={"Authorization": f"Bearer {server.token}"})
                body = json.load(urllib.request.urlopen(req, timeout=600))
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            note = ""
            if label == "all" and method == "quantile":
                equal = abs(body["psi"] - quantile_psi) < 1e-9
                ok = ok and equal
                note = f"  (the real rows' PSI {quantile_psi:.9f}: {'equal' if equal else 'DIFFERENT'})"
            elif label == "all":  # Evidently's bin count follows the sample size (Sturges), so its PSI moves
                note = f"  ({body['bins']} bins for {body['current_rows']:,} rows; the real rows' {evidently_psi:.9f})"
            met = "met" if times[2] < TARGET_WINDOW_MS else "MISSED"
            print(f"  {label:8} {method:10} {times[2]:8.1f} {times[-1]:8.1f}  {body['psi']:.9f} "
                  f"[{met}: < {TARGET_WINDOW_MS:.0f} ms]{note}")
    return ok


if __name__ == "__main__":
    sys.exit(main())
