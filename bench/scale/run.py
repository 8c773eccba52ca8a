"""bench/scale: how Steward's query cost grows with its data, beside MLflow's own server on the same
PostgreSQL cluster, at 1k, 10k and 100k runs.

Both servers hold the same data: 10 experiments, runs with 20 params, 10 tags and 10 metric keys x
100 steps each (100M points at 100k runs), one run with a 100k-point metric, and 10 registered models
x 1000 versions. It is written straight into each server's own tables (its own schema and indexes,
made by its own migrations) by SQL `generate_series`, so both hold exactly the same rows; the write
path is bench/registry's subject. At each size every query is timed through raw HTTP (keep-alive,
bodies built before the clock starts) and through the stock mlflow client, and the two servers'
answers must agree (same runs in the same order, same points): a disagreement is exit 1.

See README.md for the options, what is measured and the results.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "registry"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "soak"))
import servers  # noqa: E402
from measure import percentile  # noqa: E402  (nearest rank; NaN for no samples)
from servers import BenchError, log  # noqa: E402

EXPERIMENTS = [str(100 + e) for e in range(10)]
LONG_RUN = "long-run"          # md5 of this is the run id of the run with the 100k-point metric
LONG_POINTS = 100_000
MODELS, VERSIONS_PER_MODEL = 10, 1000
T0 = 1_700_000_000_000         # ms; run i starts at T0 + i s
GROWTH_TARGET = 2.0            # Steward's p50 at the largest size / at the smallest

# Run i's final `acc`: a bijection of i onto (0, 1) (an odd multiplier modulo 2^32), so no ties.
FRAC = "((({i}::bigint * 2654435761) % 4294967296)::float8 / 4294967296.0)"


def run_id_sql(i: str) -> str:
    return f"md5('run' || {i})"


def metric_value_sql(i: str, k: str, s: str) -> str:
    """acc rises to FRAC(i) at step 99, loss = 1 - acc, the other keys cycle."""
    acc = f"({FRAC.format(i=i)} * ({s} + 1) / 100.0)"
    return (f"CASE {k} WHEN 0 THEN {acc} WHEN 1 THEN 1.0 - {acc} "
            f"ELSE ((({i}::bigint * 31 + {k} * 17 + {s}) % 1000)::float8 / 1000.0) END")


METRIC_KEY = "CASE {k} WHEN 0 THEN 'acc' WHEN 1 THEN 'loss' ELSE 'm' || lpad({k}::text, 2, '0') END"
PARAM_KEY = "CASE {k} WHEN 0 THEN 'optimizer' ELSE 'p' || lpad({k}::text, 2, '0') END"
PARAM_VALUE = ("CASE {k} WHEN 0 THEN (ARRAY['adamw', 'sgd', 'adam'])[{i} % 3 + 1] "
               "ELSE 'v' || (({i} * 7 + {k}) % 50) END")
TAG_KEY = "CASE {k} WHEN 0 THEN 'batch' WHEN 1 THEN 'team' ELSE 't' || lpad({k}::text, 2, '0') END"
TAG_VALUE = ("CASE {k} WHEN 0 THEN 'b-' || ({i} / 100) WHEN 1 THEN 'team-' || ({i} % 20) "
             "ELSE 'x' || (({i} + {k}) % 7) END")


# --------------------------------------------------------------------------- populating

@dataclass
class Schema:
    """One server's tables, as the SQL below needs them."""
    name: str
    experiments: str
    runs: str
    params: str
    tags: str
    metrics: str
    latest: str
    big_tables: tuple[str, ...]   # their indexes are dropped for a bulk insert and made again


STEWARD = Schema(
    "stewardd",
    experiments=("INSERT INTO steward.experiments (id, name, artifact_location, creation_time, last_update_time) "
                 "SELECT 100 + e, 'scale-' || e, 'mlflow-artifacts:/' || (100 + e), {t0}, {t0} "
                 "FROM generate_series(0, 9) e; "
                 "SELECT setval(pg_get_serial_sequence('steward.experiments', 'id'), 200)"),
    runs=("INSERT INTO steward.runs (id, experiment_id, name, status, user_id, start_time, end_time, artifact_uri) "
          "SELECT {rid}, {exp}, {name}, 'FINISHED', 'bench', {start}, {start} + 500, {uri} FROM {series}"),
    params=("INSERT INTO steward.run_params (run_id, key, value) SELECT {rid}, {key}, {value} FROM {series} "
            "ORDER BY i, k"),
    tags="INSERT INTO steward.run_tags (run_id, key, value) SELECT {rid}, {key}, {value} FROM {series} ORDER BY i, k",
    metrics=("INSERT INTO steward.metrics (run_id, key, value, step, timestamp) "
             "SELECT {rid}, {key}, {value}, {step}, {ts} FROM {series}"),
    latest=("INSERT INTO steward.latest_metrics (run_id, key, value, step, timestamp) "
            "SELECT {rid}, {key}, {value}, {step}, {ts} FROM {series}"),
    big_tables=("steward.metrics",),
)

MLFLOW = Schema(
    "mlflow server",
    experiments=("INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, "
                 "last_update_time) SELECT 100 + e, 'scale-' || e, 'mlflow-artifacts:/' || (100 + e), 'active', "
                 "{t0}, {t0} FROM generate_series(0, 9) e; "
                 "SELECT setval(pg_get_serial_sequence('experiments', 'experiment_id'), 200)"),
    runs=("INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, "
          "end_time, source_version, lifecycle_stage, artifact_uri, experiment_id) "
          "SELECT {rid}, {name}, 'UNKNOWN', '', '', 'bench', 'FINISHED', {start}, {start} + 500, '', 'active', {uri}, "
          "{exp} FROM {series}"),
    params="INSERT INTO params (key, value, run_uuid) SELECT {key}, {value}, {rid} FROM {series} ORDER BY i, k",
    tags="INSERT INTO tags (key, value, run_uuid) SELECT {key}, {value}, {rid} FROM {series} ORDER BY i, k",
    metrics=("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
             "SELECT {key}, {value}, {ts}, {rid}, {step}, false FROM {series}"),
    latest=("INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
            "SELECT {key}, {value}, {ts}, {step}, false, {rid} FROM {series}"),
    big_tables=("metrics",),
)


def run_rows(lo: int, hi: int) -> dict[str, str]:
    return {"rid": run_id_sql("i"), "exp": "100 + i % 10", "name": "'run-' || i", "start": f"{T0} + i::bigint * 1000",
            "uri": "'mlflow-artifacts:/' || (100 + i % 10) || '/' || md5('run' || i) || '/artifacts'",
            "series": f"generate_series({lo}, {hi - 1}) i"}


def grow(schema: Schema, conn, lo: int, hi: int, first: bool) -> None:
    """Adds runs lo..hi-1 (and, the first time, the experiments, the long run and the registry). A run's
    params, tags and latest metrics go in together, as a client logs them (a cross join left to the
    planner scattered them one row per page, which no real registry looks like)."""
    def sql(template: str, **values: str) -> None:
        with conn.cursor() as cur:
            cur.execute(template.format(**values))

    conn.autocommit = False
    with conn.cursor() as cur:
        cur.execute("SET session_replication_role = replica")  # no per-row foreign-key checks
        cur.execute("SET maintenance_work_mem = '512MB'")
    dropped = drop_indexes(conn, schema.big_tables)
    if first:
        sql(schema.experiments, t0=str(T0))
        long_id = f"md5('{LONG_RUN}')"
        sql(schema.runs, rid=long_id, exp="100", name=f"'{LONG_RUN}'", start=str(T0 - 1000),
            uri=f"'mlflow-artifacts:/100/' || {long_id} || '/artifacts'", series="(SELECT 1) one")
        points = {"rid": long_id, "key": "'long'", "value": "sin(s / 1000.0)", "step": "s", "ts": f"{T0} + s",
                  "series": f"generate_series(0, {LONG_POINTS - 1}) s"}
        sql(schema.metrics, **points)
        sql(schema.latest, **{**points, "value": f"sin({LONG_POINTS - 1} / 1000.0)", "step": str(LONG_POINTS - 1),
                              "ts": str(T0 + LONG_POINTS - 1), "series": "(SELECT 1) one"})
        populate_registry(schema, conn, hi)
    rows = run_rows(lo, hi)
    sql(schema.runs, **rows)
    pairs = f"generate_series({lo}, {hi - 1}) i, generate_series(0, {{n}}) k"
    sql(schema.params, rid=run_id_sql("i"), key=PARAM_KEY.format(k="k"), value=PARAM_VALUE.format(i="i", k="k"),
        series=pairs.format(n=19))
    sql(schema.tags, rid=run_id_sql("i"), key=TAG_KEY.format(k="k"), value=TAG_VALUE.format(i="i", k="k"),
        series=pairs.format(n=9))
    points = {"rid": run_id_sql("i"), "key": METRIC_KEY.format(k="k"), "value": metric_value_sql("i", "k", "s"),
              "step": "s", "ts": f"{T0} + i::bigint * 1000 + s"}
    # One statement per 1000 runs keeps each transaction's memory and WAL bounded.
    for start in range(lo, hi, 1000):
        end = min(hi, start + 1000)
        sql(schema.metrics, **points,
            series=f"generate_series({start}, {end - 1}) i, generate_series(0, 9) k, generate_series(0, 99) s")
        conn.commit()
    sql(schema.latest, **{**points, "value": metric_value_sql("i", "k", "99"), "step": "99",
                          "ts": f"{T0} + i::bigint * 1000 + 99", "series": pairs.format(n=9) + " ORDER BY i, k"})
    recreate_indexes(conn, dropped)
    with conn.cursor() as cur:
        cur.execute("SET session_replication_role = DEFAULT")
    conn.commit()
    conn.autocommit = True
    with conn.cursor() as cur:
        # VACUUM too: otherwise autovacuum sets the new pages' visibility bits while the queries are
        # timed (minutes of I/O at 100k runs, seen as noise in the first runs of this bench).
        cur.execute("VACUUM (ANALYZE)")


def populate_registry(schema: Schema, conn, runs: int) -> None:
    """10 models x 1000 versions, version v of model m made by run (v * 10 + m) % runs."""
    series = f"generate_series(0, {MODELS - 1}) m, generate_series(1, {VERSIONS_PER_MODEL}) v ORDER BY m, v"
    rid = run_id_sql(f"((v * {MODELS} + m) % {runs})")
    with conn.cursor() as cur:
        if schema is STEWARD:
            cur.execute(f"INSERT INTO steward.registered_models (id, name, creation_time, last_update_time) "
                        f"SELECT 100 + m, 'scale-model-' || m, {T0}, {T0} FROM generate_series(0, {MODELS - 1}) m")
            cur.execute("SELECT setval(pg_get_serial_sequence('steward.registered_models', 'id'), 200)")
            cur.execute(f"INSERT INTO steward.model_versions (model_id, version, source, run_id, creation_time, "
                        f"last_update_time) SELECT 100 + m, v, 'models:/scale-model-' || m || '/' || v, {rid}, "
                        f"{T0} + v, {T0} + v FROM {series}")
        else:
            cur.execute(f"INSERT INTO registered_models (name, creation_time, last_updated_time, description) "
                        f"SELECT 'scale-model-' || m, {T0}, {T0}, '' FROM generate_series(0, {MODELS - 1}) m")
            cur.execute(f"INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, "
                        f"user_id, current_stage, source, run_id, status, status_message, run_link, storage_location) "
                        f"SELECT 'scale-model-' || m, v, {T0} + v, {T0} + v, '', 'bench', 'None', "
                        f"'models:/scale-model-' || m || '/' || v, {rid}, 'READY', '', '', "
                        f"'models:/scale-model-' || m || '/' || v FROM {series}")


def drop_indexes(conn, tables: tuple[str, ...]) -> list[tuple[str, str, str | None]]:
    """Drops every index of `tables` (a primary key through its constraint); returns how to make them again."""
    made: list[tuple[str, str, str | None]] = []
    with conn.cursor() as cur:
        for table in tables:
            cur.execute("SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), c.conname, "
                        "pg_get_constraintdef(c.oid) FROM pg_index i LEFT JOIN pg_constraint c "
                        "ON c.conindid = i.indexrelid AND c.contype IN ('p', 'u') WHERE i.indrelid = %s::regclass",
                        (table,))
            for index, definition, constraint, constraint_def in cur.fetchall():
                if constraint:
                    cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"')
                    made.append((table, f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" {constraint_def}', None))
                else:
                    cur.execute(f"DROP INDEX {index}")
                    made.append((table, definition, index))
    return made


def recreate_indexes(conn, made: list[tuple[str, str, str | None]]) -> None:
    with conn.cursor() as cur:
        for _, statement, _ in made:
            cur.execute(statement)


# --------------------------------------------------------------------------- measuring

@dataclass
class Timing:
    samples_s: list[float] = field(default_factory=list)
    failure: str | None = None     # "timeout after ...", an error

    @property
    def p50_ms(self) -> float:
        return percentile(self.samples_s, 50) * 1000

    @property
    def p99_ms(self) -> float:
        return percentile(self.samples_s, 99) * 1000

    def as_dict(self) -> dict:
        return {"calls": len(self.samples_s), "p50_ms": round(self.p50_ms, 3), "p99_ms": round(self.p99_ms, 3),
                **({"failure": self.failure} if self.failure else {})}


class WrongAnswer(AssertionError):
    pass


@dataclass
class Target:
    """What one server is asked, both ways; `raw` and `client` return a comparable summary."""
    url: str
    headers: dict[str, str]
    session: object
    client: object

    def get(self, path: str, params: list[tuple[str, str]]) -> dict:
        response = self.session.get(self.url + path, params=params, headers=self.headers, timeout=TIMEOUT_S)
        if response.status_code != 200:
            raise WrongAnswer(f"GET {path}: {response.status_code} {response.text[:300]}")
        return response.json()

    def post(self, path: str, body: bytes) -> dict:
        response = self.session.post(self.url + path, data=body, timeout=TIMEOUT_S,
                                     headers={**self.headers, "Content-Type": "application/json"})
        if response.status_code != 200:
            raise WrongAnswer(f"POST {path}: {response.status_code} {response.text[:300]}")
        return response.json()


TIMEOUT_S = 300.0


@dataclass
class Query:
    name: str
    raw: Callable[[Target], object]
    client: Callable[[Target], object] | None   # None: the stock client has no method for it


def search_body(**fields) -> bytes:
    return json.dumps(fields).encode()


# Every query returns as much at 1k runs as at 100k (all ten experiments), so that the growth is the
# cost of the data around the answer, not of a bigger answer.
METRIC_PARAM_SEARCH = dict(experiment_ids=EXPERIMENTS, max_results=100, order_by=["metrics.acc DESC"],
                           filter="metrics.acc > 0.5 and params.optimizer = 'adamw'")
PAGING_SEARCH = dict(experiment_ids=EXPERIMENTS, max_results=100, order_by=["metrics.acc DESC"],
                     filter="metrics.loss < 2")
TAG_SEARCH = dict(experiment_ids=EXPERIMENTS, max_results=100, filter="tags.batch = 'b-7'")
LATEST_1000 = dict(experiment_ids=EXPERIMENTS, max_results=1000)


def raw_search(body: dict) -> Callable[[Target], object]:
    encoded = search_body(**body)
    return lambda t: [r["info"]["run_id"] for r in t.post("/api/2.0/mlflow/runs/search", encoded).get("runs", [])]


def raw_pages(t: Target, pages: int = 10) -> list[str]:
    ids: list[str] = []
    token = None
    for _ in range(pages):
        body = dict(PAGING_SEARCH, **({"page_token": token} if token else {}))
        answer = t.post("/api/2.0/mlflow/runs/search", search_body(**body))
        ids += [r["info"]["run_id"] for r in answer.get("runs", [])]
        token = answer.get("next_page_token")
        if not token:
            break
    return ids


def client_pages(t: Target, pages: int = 10) -> list[str]:
    ids: list[str] = []
    token = None
    for _ in range(pages):
        page = t.client.search_runs(PAGING_SEARCH["experiment_ids"], PAGING_SEARCH["filter"], max_results=100,
                                    order_by=PAGING_SEARCH["order_by"], page_token=token)
        ids += [r.info.run_id for r in page]
        token = page.token
        if not token:
            break
    return ids


def raw_history(t: Target, run_id: str) -> tuple[int, float]:
    points: list[dict] = []
    token = None
    while True:
        params = [("run_id", run_id), ("metric_key", "long"), ("max_results", "25000")]
        answer = t.get("/api/2.0/mlflow/metrics/get-history", params + ([("page_token", token)] if token else []))
        points += answer.get("metrics", [])
        token = answer.get("next_page_token")
        if not token:
            return len(points), sum(int(p["step"]) for p in points)


def raw_bulk_interval(t: Target, run_id: str) -> list[int]:
    answer = t.get("/api/2.0/mlflow/metrics/get-history-bulk-interval",
                   [("run_ids", run_id), ("metric_key", "long"), ("max_results", "320")])
    return [m["step"] for m in answer.get("metrics", [])]


def runs_summary(runs) -> list[str]:
    return [r.info.run_id for r in runs]


def queries(long_id: str, version_run: str) -> list[Query]:
    c = METRIC_PARAM_SEARCH
    return [
        Query("search: metric + param filter, order by metric, 100", raw_search(c),
              lambda t: runs_summary(t.client.search_runs(c["experiment_ids"], c["filter"], max_results=100,
                                                          order_by=c["order_by"]))),
        Query("search: paging through 1,000 results", raw_pages, client_pages),
        Query("search by tag (100 of all runs)", raw_search(TAG_SEARCH),
              lambda t: runs_summary(t.client.search_runs(EXPERIMENTS, TAG_SEARCH["filter"], max_results=100))),
        Query(f"get_metric_history, {LONG_POINTS // 1000}k points", lambda t: raw_history(t, long_id),
              lambda t: (len(h := t.client.get_metric_history(long_id, "long")), sum(m.step for m in h))),
        Query("get-history-bulk-interval (UI charts)", lambda t: raw_bulk_interval(t, long_id), None),
        Query("latest metrics of 1,000 runs", raw_search(LATEST_1000),
              lambda t: runs_summary(t.client.search_runs(EXPERIMENTS, max_results=1000))),
        Query("model versions of one model (100 of 1k)",
              lambda t: sorted(int(v["version"]) for v in t.get(
                  "/api/2.0/mlflow/model-versions/search",
                  [("filter", "name='scale-model-3'"), ("max_results", "100")]).get("model_versions", [])),
              lambda t: sorted(int(v.version) for v in t.client.search_model_versions(
                  "name='scale-model-3'", max_results=100))),
        Query("model versions of one run",
              lambda t: sorted((v["name"], v["version"]) for v in t.get(
                  "/api/2.0/mlflow/model-versions/search",
                  [("filter", f"run_id='{version_run}'")]).get("model_versions", [])),
              lambda t: sorted((v.name, str(v.version)) for v in t.client.search_model_versions(
                  f"run_id='{version_run}'"))),
        Query("registered models by name prefix",
              lambda t: sorted(m["name"] for m in t.get(
                  "/api/2.0/mlflow/registered-models/search",
                  [("filter", "name LIKE 'scale-model-%'"), ("max_results", "100")]).get("registered_models", [])),
              lambda t: sorted(m.name for m in t.client.search_registered_models(
                  "name LIKE 'scale-model-%'", max_results=100))),
    ]


def normalise(summary: object) -> object:
    """Version numbers come back as strings from one server's JSON and ints from another's."""
    if isinstance(summary, list):
        return [normalise(x) for x in summary]
    if isinstance(summary, tuple):
        return tuple(normalise(x) for x in summary)
    return str(summary)


def measure(fn: Callable[[], object], repeats: int, budget_s: float) -> tuple[Timing, object]:
    timing = Timing()
    answer = None
    started = time.monotonic()
    for _ in range(repeats):
        t0 = time.perf_counter()
        try:
            answer = fn()
        except Exception as error:  # requests' timeout, an mlflow error: recorded, the others go on
            if isinstance(error, WrongAnswer):
                raise
            timing.failure = f"{type(error).__name__}: {str(error)[:160]}"
            break
        timing.samples_s.append(time.perf_counter() - t0)
        if time.monotonic() - started > budget_s and len(timing.samples_s) >= 3:
            break
    return timing, answer


# --------------------------------------------------------------------------- plans

def capture_plans(dbs: servers.Databases, steward_db: str, tmp: Path, targets: list[Query], make_target,
                  out: Path) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the statements stewardd runs for each query, from auto_explain in
    PostgreSQL's log (a second stewardd whose connections load it), after enough executions that the
    prepared statements' generic plans are in use. Returns the plans' sequential scans."""
    name = urllib.parse.urlsplit(steward_db).path.lstrip("/")
    log_file = server_log(dbs)
    if log_file is None:
        out.write_text("PostgreSQL's log file was not found (not a scripts/pg.sh cluster): no plans captured\n")
        return ["(no plans: log not found)"]
    settings = {"session_preload_libraries": "auto_explain", "auto_explain.log_min_duration": "0",
                "auto_explain.log_analyze": "on", "auto_explain.log_buffers": "on",
                "auto_explain.log_timing": "on", "auto_explain.log_nested_statements": "on"}
    with dbs.conn.cursor() as cur:
        for key, value in settings.items():
            cur.execute(f'ALTER DATABASE "{name}" SET {key} = %s', (value,))
    process = servers.start_stewardd(steward_db, tmp / "explain")
    sections: list[str] = []
    seq_scans: list[str] = []
    try:
        target = make_target(process)
        for query in targets:
            for _ in range(6):  # PostgreSQL picks a prepared statement's generic plan from the 6th execution
                query.raw(target)
            offset = log_file.stat().st_size
            query.raw(target)
            time.sleep(0.2)  # the log is written by the backend after the answer; let it land
            text = log_file.read_text(errors="replace")[offset:]
            plans = [p for p in re.split(r"\n(?=\S.*LOG:  duration:)", text) if "Query Text:" in p
                     and "steward." in p and "pg_catalog" not in p and "api_tokens" not in p]
            sections.append(f"==== {query.name}\n" + "\n".join(plans))
            for table in sorted({t for plan in plans for t in re.findall(r"Seq Scan on (\S+)", plan)}):
                rows = table_rows(dbs, steward_db, table)
                if rows >= SMALL_TABLE_ROWS:
                    seq_scans.append(f"{query.name}: Seq Scan on {table} ({rows:,} rows)")
    finally:
        process.stop()
        with dbs.conn.cursor() as cur:
            cur.execute(f'ALTER DATABASE "{name}" RESET ALL')
    out.write_text("\n\n".join(sections) + "\n")
    return seq_scans


SMALL_TABLE_ROWS = 10_000   # a sequential scan of a smaller table is the planner's right choice


def table_rows(dbs: servers.Databases, url: str, table: str) -> int:
    return int(psql_value(url, f"SELECT reltuples::bigint FROM pg_class WHERE oid = 'steward.{table}'::regclass"))


def server_log(dbs: servers.Databases) -> Path | None:
    with dbs.conn.cursor() as cur:
        cur.execute("SHOW data_directory")
        data = Path(cur.fetchone()[0])
    candidate = data.parent / "postgres.log"   # scripts/pg.sh's layout
    return candidate if candidate.is_file() else None


# --------------------------------------------------------------------------- the run

def fmt(ms: float) -> str:
    return f"{ms:10.2f}" if ms == ms else f"{'-':>10}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000", help="run counts, ascending (default 1000,10000; "
                        "the full run: 1000,10000,100000)")
    parser.add_argument("--repeats", type=int, default=20, help="raw HTTP calls per query and server")
    parser.add_argument("--client-repeats", type=int, default=10, help="stock-client calls per query and server")
    parser.add_argument("--budget", type=float, default=20.0,
                        help="seconds per query, server and way, after which it stops at >= 3 calls")
    parser.add_argument("--out", type=Path, default=Path("bench/scale/results"),
                        help="folder for results.json and the plans (default bench/scale/results)")
    parser.add_argument("--no-mlflow", action="store_true", help="Steward alone")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if sizes != sorted(sizes) or sizes[0] < 1000:
        parser.error("--sizes must be ascending, each at least 1000")

    os.environ.update({"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": str(int(TIMEOUT_S)),
                       "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"})
    import logging
    import warnings

    import mlflow
    import psycopg2
    import requests
    from mlflow import MlflowClient

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    dbs = servers.Databases(servers.admin_database_url())
    processes: list[servers.Process] = []
    results: dict = {"sizes": {}, "mlflow_version": mlflow.__version__}
    wrong: list[str] = []
    with tempfile.TemporaryDirectory(prefix="steward-bench-scale-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            steward_db = dbs.create("steward_scale")
            steward = servers.start_stewardd(steward_db, tmp)
            processes.append(steward)
            servers_ = [(STEWARD, steward, steward_db)]
            if not args.no_mlflow:
                mlflow_db = dbs.create("mlflow_scale", template=servers.mlflow_template(dbs))
                mlflow_server = servers.start_mlflow(mlflow_db, tmp, workers=1)
                processes.append(mlflow_server)
                servers_.append((MLFLOW, mlflow_server, mlflow_db))
            log(f"stewardd {steward.extra['binary']}; sizes {sizes}")

            def make_target(process: servers.Process) -> Target:
                session = requests.Session()
                headers = {"Authorization": f"Bearer {process.token}"} if process.name == "stewardd" else {}
                if process.name == "stewardd":
                    os.environ["MLFLOW_TRACKING_TOKEN"] = process.token
                else:
                    os.environ.pop("MLFLOW_TRACKING_TOKEN", None)
                return Target(process.url, headers, session, MlflowClient(tracking_uri=process.url))

            long_id = psql_value(steward_db, f"SELECT md5('{LONG_RUN}')")
            version_run = psql_value(steward_db, f"SELECT {run_id_sql('42')}")
            all_queries = queries(long_id, version_run)
            previous = 0
            for size in sizes:
                size_result: dict = {"servers": {}}
                for schema, process, db in list(servers_):
                    if previous and not room_to_grow(dbs, db, previous, size):
                        log(f"{schema.name}: not grown to {size} runs: the disk would keep less than "
                            f"{DISK_MARGIN_GB} GB free (its database grows with the runs); measured up to {previous}")
                        servers_.remove((schema, process, db))
                        continue
                    t0 = time.monotonic()
                    conn = psycopg2.connect(db)
                    try:
                        grow(schema, conn, previous, size, first=previous == 0)
                        size_result.setdefault("populate_s", {})[schema.name] = round(time.monotonic() - t0, 1)
                        with conn.cursor() as cur:
                            cur.execute("SELECT pg_database_size(current_database())")
                            size_result.setdefault("database_mb", {})[schema.name] = cur.fetchone()[0] // 2**20
                    finally:
                        conn.close()
                    log(f"{schema.name}: {size} runs in {time.monotonic() - t0:.0f} s")
                answers: dict[str, dict] = {}
                for schema, process, _ in servers_:
                    target = make_target(process)
                    per_server: dict = {}
                    for query in all_queries:
                        # One untimed call: PostgreSQL's caches and the server's code warm.
                        warm, _ = measure(lambda: query.raw(target), 1, args.budget)
                        raw, raw_answer = measure(lambda: query.raw(target), args.repeats, args.budget)
                        raw.failure = raw.failure or warm.failure
                        client = Timing(failure="no client method")
                        client_answer = None
                        if query.client is not None and not raw.failure:
                            client, client_answer = measure(lambda: query.client(target), args.client_repeats,
                                                            args.budget)
                        per_server[query.name] = {"raw": raw, "client": client}
                        answers.setdefault(query.name, {})[schema.name] = (raw_answer, client_answer)
                        log(f"{size} {schema.name:13} {query.name[:44]:44} raw p50 {raw.p50_ms:9.2f} ms"
                            + (f"  client p50 {client.p50_ms:9.2f} ms" if client.samples_s else "")
                            + (f"  [{raw.failure}]" if raw.failure else ""))
                    per_server["rss_mb"] = round(process.rss_mb(), 1)
                    size_result["servers"][schema.name] = per_server
                for name, by_server in answers.items():
                    seen = {(s, way): normalise(a) for s, (r, c) in by_server.items()
                            for way, a in (("raw", r), ("client", c)) if a is not None}
                    if len({json.dumps(v, sort_keys=True) for v in seen.values()}) > 1:
                        wrong.append(f"{size} runs, {name}: the answers differ: "
                                     + "; ".join(f"{s} {w}: {str(v)[:200]}" for (s, w), v in seen.items()))
                size_result["done_at_s"] = round(time.monotonic() - started)
                results["sizes"][size] = size_result
                print_size(size, size_result, [q.name for q in all_queries])
                print(f"({size:,} runs done {size_result['done_at_s']} s after the start)", flush=True)
                previous = size
            log("capturing stewardd's plans at the largest size (auto_explain)")
            seq_scans = capture_plans(dbs, steward_db, tmp, all_queries, make_target,
                                      args.out / f"plans-{sizes[-1]}.txt")
        except BenchError as error:
            print(f"bench/scale: {error}", file=sys.stderr)
            return 2
        except WrongAnswer as error:
            print(f"WRONG ANSWER: {error}", file=sys.stderr)
            for process in processes:
                print(f"--- {process.name} stderr (tail)\n{process.stderr_tail(3000)}", file=sys.stderr)
            return 1
        finally:
            for process in processes:
                process.stop()
            dbs.close()

    print_growth(sizes, results, [q.name for q in all_queries])
    print(f"\nPlans of stewardd's statements at {sizes[-1]} runs: {args.out / f'plans-{sizes[-1]}.txt'}")
    print(f"  every plan reads its tables of {SMALL_TABLE_ROWS:,} rows or more through an index" if not seq_scans
          else "  sequential scans of big tables:\n    " + "\n    ".join(seq_scans))
    for line in wrong:
        print(f"WRONG ANSWER: {line}")
    elapsed = time.monotonic() - started
    print(f"\n(total {elapsed:.0f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    results["seq_scans"] = seq_scans
    results["total_s"] = round(elapsed)
    (args.out / "results.json").write_text(json.dumps(results, indent=2, default=lambda t: t.as_dict()) + "\n")
    return 1 if wrong else 0


DISK_MARGIN_GB = 8


def room_to_grow(dbs: servers.Databases, url: str, runs: int, new_runs: int) -> bool:
    """Whether growing the database at `url` from `runs` to `new_runs` (its size scales with the runs)
    leaves DISK_MARGIN_GB free where the cluster keeps its data."""
    import shutil

    with dbs.conn.cursor() as cur:
        cur.execute("SHOW data_directory")
        data = cur.fetchone()[0]
    size = int(psql_value(url, "SELECT pg_database_size(current_database())"))
    needed = size * (new_runs - runs) / runs
    return shutil.disk_usage(data).free - needed > DISK_MARGIN_GB * 2**30


def psql_value(url: str, sql: str) -> str:
    import psycopg2

    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchone()[0]
    finally:
        conn.close()


def print_size(size: int, result: dict, names: list[str]) -> None:
    by = result["servers"]
    steward, mlflow_ = by.get("stewardd"), by.get("mlflow server")
    print(f"\n== {size:,} runs ({size * 1000 + LONG_POINTS:,} metric points; populated in "
          + ", ".join(f"{k} {v} s" for k, v in result["populate_s"].items()) + "; database "
          + ", ".join(f"{k} {v} MB" for k, v in result["database_mb"].items()) + ")")
    print(f"{'query':46} {'way':6} {'Steward p50':>11} {'p99':>10} {'MLflow p50':>11} {'p99':>10} {'M/S p50':>8}")
    for name in names:
        for way in ("raw", "client"):
            s = steward[name][way]
            m = mlflow_[name][way] if mlflow_ else Timing(failure="not run")
            if not s.samples_s and not m.samples_s:
                continue
            ratio = m.p50_ms / s.p50_ms if s.samples_s and m.samples_s else float("nan")
            note = f"  MLflow: {m.failure}" if m.failure and m.failure != "not run" else ""
            print(f"{name[:46]:46} {way:6} {fmt(s.p50_ms):>11} {fmt(s.p99_ms)} {fmt(m.p50_ms):>11} "
                  f"{fmt(m.p99_ms)} {ratio:7.1f}x{note}")
    print("RSS (MB): " + ", ".join(f"{k} {v['rss_mb']}" for k, v in by.items()))


def print_growth(sizes: list[int], results: dict, names: list[str]) -> None:
    if len(sizes) < 2:
        return
    first, last = results["sizes"][sizes[0]], results["sizes"][sizes[-1]]
    print(f"\nStewardd's growth, raw HTTP p50 at {sizes[-1]:,} runs / at {sizes[0]:,} "
          f"(target < {GROWTH_TARGET:.0f}x):")
    for name in names:
        a, b = first["servers"]["stewardd"][name]["raw"], last["servers"]["stewardd"][name]["raw"]
        growth = b.p50_ms / a.p50_ms
        met = "MET   " if growth < GROWTH_TARGET else "MISSED"
        print(f"  [{met}] {name:46} {a.p50_ms:8.2f} -> {b.p50_ms:8.2f} ms  {growth:5.2f}x")
    rss = [results["sizes"][s]["servers"]["stewardd"]["rss_mb"] for s in sizes]
    print("  stewardd RSS (MB) by size: " + ", ".join(f"{s:,}: {r}" for s, r in zip(sizes, rss)))


if __name__ == "__main__":
    sys.exit(main())
