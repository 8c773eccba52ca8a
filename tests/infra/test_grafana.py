"""The Grafana provisioning and dashboards under infra/grafana, checked offline.

No Grafana server runs here, so this test does what Grafana's PostgreSQL data
source does to a panel's SQL and runs the result against a real PostgreSQL
holding Steward's schema and data: `stewardd` is started once against a fresh
database (it migrates at start), an hour of prediction log rows is written while
it runs and its monitor rolls them up into `serving_rollup_1m` (about 15 s), then
it is stopped and fixture rows go into the other tables. Every panel's query must
run and return rows of the shape its panel expects (~20 s in all).

Expansion, in Grafana's order (pkg/tsdb/grafana-postgresql-datasource, sqleng):
1. Dashboard variables: `$name` / `${name}` -> the variable's value, raw (a
   single-valued variable is not quoted; the SQL writes `'$model'`). A query
   variable's own SQL is run too (it must return rows); its value is its
   `current.value` when that is among the rows, else the first row.
2. Global variables: `$__interval` -> "1m", `$__interval_ms` -> 60000 (Grafana
   derives them from the range and the panel width; these tests use 1m),
   `$__unixEpochFrom()` / `$__unixEpochTo()` -> epoch seconds.
3. Macros, matched like Grafana's `\\$(\\w+)\\(([^)]*)\\)` (arguments cannot hold `)`),
   arguments split on `,` and trimmed:
   - `$__time(c)` -> `c AS "time"`; `$__timeEpoch(c)` -> `extract(epoch from c) AS "time"`
   - `$__timeFilter(c)` -> `c BETWEEN '<from>' AND '<to>'` (RFC 3339, UTC)
   - `$__timeFrom()` / `$__timeTo()` -> `'<from>'` / `'<to>'`
   - `$__timeGroup(c, '1m')` -> `floor(extract(epoch from c)/60)*60`; `$__timeGroupAlias` adds ` AS "time"`
     (a third fill argument is refused here: fill happens in Grafana, not in SQL)
   - `$__unixEpochFilter(e)` -> `e >= <from s> AND e <= <to s>`
   - `$__unixEpochGroup(e, '1h')` -> `floor((e)/3600)*3600`; `$__unixEpochGroupAlias` adds ` AS "time"`
   Any other `$__` macro, or a `$` variable left over, fails the test.

Shapes: `format: time_series` needs a `time` column (timestamp or epoch number),
ascending; optionally a text `metric` column; at least one numeric value column
with a value. `format: table` needs rows with the columns the panel lists in
`stewardExpectColumns` (written by infra/grafana/generate.py), in that order.
"""

from __future__ import annotations

import datetime as dt
import decimal
import importlib.util
import json
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "infra" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
DATASOURCES = GRAFANA / "provisioning" / "datasources" / "postgres.yaml"
PROVIDERS = GRAFANA / "provisioning" / "dashboards" / "steward.yaml"
DEFAULT_URL = "postgresql://steward@127.0.0.1:54339/steward"
BIN_DIR = Path(os.environ.get("STEWARD_BIN_DIR", ROOT / ".build" / "debug"))

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
RANGE_FROM = NOW - dt.timedelta(days=7)
RANGE_TO = NOW + dt.timedelta(minutes=1)
INTERVAL_TEXT, INTERVAL_MS = "1m", 60_000

try:
    import psycopg2
except ImportError:  # pragma: no cover - reported by the fixture below
    psycopg2 = None


def load_dashboards() -> dict:
    return {p.name: json.loads(p.read_text()) for p in DASHBOARDS}


def sql_panels():
    for name, board in load_dashboards().items():
        for panel in board["panels"]:
            if panel.get("targets"):
                yield pytest.param(name, panel, id=f"{name}:{panel['id']}:{panel['title']}")


# --- Grafana's expansion -----------------------------------------------------------

MACRO = re.compile(r"\$(__[_a-zA-Z0-9]+)\(([^)]*)\)")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_interval(text: str) -> int:
    match = re.fullmatch(r"(\d+)([smhdw])", text.strip().strip("'"))
    assert match, f"interval {text!r} is not one Grafana parses here (e.g. '1m', '5m', '1h')"
    return int(match.group(1)) * UNITS[match.group(2)]


def rfc3339(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def expand_macros(sql: str, t_from: dt.datetime = RANGE_FROM, t_to: dt.datetime = RANGE_TO) -> str:
    sql = sql.replace("$__interval_ms", str(INTERVAL_MS)).replace("$__interval", INTERVAL_TEXT)
    sql = sql.replace("$__unixEpochFrom()", str(int(t_from.timestamp())))
    sql = sql.replace("$__unixEpochTo()", str(int(t_to.timestamp())))

    def macro(match: re.Match) -> str:
        name, raw = match.group(1), match.group(2)
        args = [a.strip() for a in raw.split(",")] if raw.strip() else []

        def need(n: int):
            assert len(args) == n, f"${name} takes {n} argument(s), got {args!r}"

        if name == "__time":
            need(1)
            return f'{args[0]} AS "time"'
        if name == "__timeEpoch":
            need(1)
            return f'extract(epoch from {args[0]}) AS "time"'
        if name == "__timeFilter":
            need(1)
            return f"{args[0]} BETWEEN '{rfc3339(t_from)}' AND '{rfc3339(t_to)}'"
        if name == "__timeFrom":
            need(0)
            return f"'{rfc3339(t_from)}'"
        if name == "__timeTo":
            need(0)
            return f"'{rfc3339(t_to)}'"
        if name in ("__timeGroup", "__timeGroupAlias"):
            need(2)
            seconds = parse_interval(args[1])
            text = f"floor(extract(epoch from {args[0]})/{seconds})*{seconds}"
            return text + (' AS "time"' if name.endswith("Alias") else "")
        if name == "__unixEpochFilter":
            need(1)
            return f"{args[0]} >= {int(t_from.timestamp())} AND {args[0]} <= {int(t_to.timestamp())}"
        if name in ("__unixEpochGroup", "__unixEpochGroupAlias"):
            need(2)
            seconds = parse_interval(args[1])
            text = f"floor(({args[0]})/{seconds})*{seconds}"
            return text + (' AS "time"' if name.endswith("Alias") else "")
        raise AssertionError(f"macro ${name}({raw}) is not one this test (or Grafana's PostgreSQL source) knows")

    sql = MACRO.sub(macro, sql)
    left = re.findall(r"\$\{?\w+", sql)
    assert not left, f"unexpanded variables or macros {left} in:\n{sql}"
    return sql


def interpolate_variables(sql: str, values: dict) -> str:
    for name in sorted(values, key=len, reverse=True):
        sql = sql.replace("${" + name + "}", values[name])
        sql = re.sub(rf"\${name}\b", lambda _m: values[name], sql)
    return sql


def test_expansion_rules_match_grafana():
    t0 = dt.datetime(2017, 4, 21, 5, 1, 17, tzinfo=dt.timezone.utc)
    t1 = dt.datetime(2017, 4, 21, 6, 1, 17, tzinfo=dt.timezone.utc)
    assert expand_macros("WHERE $__timeFilter(at)", t0, t1) == \
        "WHERE at BETWEEN '2017-04-21T05:01:17Z' AND '2017-04-21T06:01:17Z'"
    assert expand_macros("SELECT $__timeGroupAlias(minute, '1m')", t0, t1) == \
        'SELECT floor(extract(epoch from minute)/60)*60 AS "time"'
    assert expand_macros("$__timeFrom() $__timeTo()", t0, t1) == "'2017-04-21T05:01:17Z' '2017-04-21T06:01:17Z'"
    assert expand_macros("$__unixEpochFilter(t / 1000)", t0, t1) == "t / 1000 >= 1492750877 AND t / 1000 <= 1492754477"
    assert expand_macros("$__unixEpochGroupAlias(t, '1h')", t0, t1) == 'floor((t)/3600)*3600 AS "time"'
    # Grafana's pattern stops at the first ')': a nested call is cut, as Grafana cuts it.
    assert expand_macros("$__timeFilter(to_timestamp(x))", t0, t1) == \
        "to_timestamp(x BETWEEN '2017-04-21T05:01:17Z' AND '2017-04-21T06:01:17Z')"
    with pytest.raises(AssertionError):
        expand_macros("WHERE name = '$model'")


# --- provisioning files ----------------------------------------------------------------


ENV_REF = re.compile(r"^(\$\{[A-Z][A-Z0-9_]*\}|\$__(env|file)\{[^}]+\})$")


def test_datasource_provisioning_has_no_inline_credentials():
    doc = yaml.safe_load(DATASOURCES.read_text())
    assert doc["apiVersion"] == 1
    (source,) = doc["datasources"]
    assert source["type"] in ("postgres", "grafana-postgresql-datasource")
    assert source["uid"] == "steward-postgres"
    for key in ("url", "user"):
        assert ENV_REF.match(str(source[key])), f"{key} must come from the environment or a file, not be inline"
    assert ENV_REF.match(str(source["jsonData"]["database"]))
    assert "password" not in source and "password" not in source.get("jsonData", {}), "password outside secureJsonData"
    assert ENV_REF.match(str(source["secureJsonData"]["password"])), "the password must be a ${VAR} or $__file{} reference"


def test_dashboard_provider_points_at_a_folder():
    doc = yaml.safe_load(PROVIDERS.read_text())
    (provider,) = doc["providers"]
    assert provider["type"] == "file" and provider["options"]["path"]
    assert provider["allowUiUpdates"] is False


def test_dashboards_are_what_the_generator_writes():
    spec = importlib.util.spec_from_file_location("steward_grafana_generate", GRAFANA / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rendered = module.render()
    assert sorted(rendered) == [p.name for p in DASHBOARDS], "dashboards/ differs from generate.py's list"
    for name, text in rendered.items():
        assert (GRAFANA / "dashboards" / name).read_text() == text, \
            f"dashboards/{name} is stale: run python3 infra/grafana/generate.py"


def test_dashboard_structure():
    boards = load_dashboards()
    assert {"service-health.json", "model.json", "drift.json", "rollouts.json", "training.json"} <= set(boards)
    uids = [b["uid"] for b in boards.values()]
    assert len(set(uids)) == len(uids)
    source_uid = yaml.safe_load(DATASOURCES.read_text())["datasources"][0]["uid"]
    for name, board in boards.items():
        ids = [p["id"] for p in board["panels"]]
        assert len(set(ids)) == len(ids), f"{name}: duplicate panel ids"
        for panel in board["panels"]:
            pos = panel["gridPos"]
            assert pos["x"] + pos["w"] <= 24, f"{name}: panel {panel['title']} is wider than the grid"
            if panel["type"] == "text":
                assert panel["options"]["content"].strip()
                continue
            assert panel["datasource"]["uid"] == source_uid
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == source_uid
                assert target["format"] in ("time_series", "table"), f"{name}: {panel['title']}: format"
                assert target["rawQuery"] is True and target["rawSql"].strip()
        for variable in board["templating"]["list"]:
            if variable["type"] == "query":
                assert variable["datasource"]["uid"] == source_uid
    model_board = boards["model.json"]
    assert any("steward.feedback" in t["rawSql"] for p in model_board["panels"] for t in p.get("targets", [])), \
        "the model dashboard must chart live accuracy from steward.feedback"
    drift_psi = next(p for p in boards["drift.json"]["panels"] if p["title"] == "PSI per feature")
    steps = [s["value"] for s in drift_psi["fieldConfig"]["defaults"]["thresholds"]["steps"]]
    assert steps == [None, 0.1, 0.25]
    assert drift_psi["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"] == "line"


# --- a database with the schema and fixtures ----------------------------------------------


def _with_db(url: str, db: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path="/" + db))


def _connect(url: str):
    return psycopg2.connect(url, connect_timeout=5)


@pytest.fixture(scope="module")
def database():
    if psycopg2 is None:
        pytest.fail("psycopg2 is missing: use .steward/venv/bin/python (scripts/setup.sh installs tests/requirements.txt)",
                    pytrace=False)
    stewardd = BIN_DIR / "stewardd"
    if not (stewardd.is_file() and os.access(stewardd, os.X_OK)):
        pytest.fail(f"stewardd not found at {stewardd} (set STEWARD_BIN_DIR): run `swift build --product stewardd`",
                    pytrace=False)
    base = os.environ.get("STEWARD_TEST_DATABASE_URL", DEFAULT_URL)
    admin_url = _with_db(base, "postgres")
    try:
        admin = _connect(admin_url)
    except psycopg2.OperationalError:
        started = subprocess.run(["bash", str(ROOT / "scripts" / "pg.sh"), "start", "--test"], capture_output=True, text=True)
        try:
            admin = _connect(admin_url)
        except psycopg2.OperationalError as error:
            pytest.fail(f"no PostgreSQL at {admin_url} ({error}); `scripts/pg.sh start --test` said:\n"
                        f"{started.stdout}{started.stderr}", pytrace=False)
    admin.autocommit = True
    name = f"steward_grafana_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as c:
        c.execute(f'CREATE DATABASE "{name}"')
    url = _with_db(base, name)
    try:
        migrate_with_stewardd(stewardd, url, while_running=lambda: serve_predictions_and_wait_for_rollups(url))
        conn = _connect(url)
        conn.autocommit = True
        with conn.cursor() as c:
            insert_fixtures(c)
        yield conn
        conn.close()
    finally:
        with admin.cursor() as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def migrate_with_stewardd(stewardd: Path, url: str, while_running=None):
    """Starts stewardd against the empty database (it migrates at start), runs
    `while_running` once it listens, then stops it with SIGTERM."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="steward-grafana-") as artifacts:
        env = {**os.environ, "STEWARD_DATABASE_URL": url, "STEWARD_HTTP_PORT": "0", "STEWARD_ARTIFACT_ROOT": artifacts,
               "STEWARD_BOOTSTRAP_TOKEN": "grafana-test-bootstrap-token"}
        for key in ("STEWARD_BOOTSTRAP_TOKEN_FILE", "STEWARD_EXECUTOR", "STEWARD_HTTPROUTE_NAME"):
            env.pop(key, None)
        proc = subprocess.Popen([str(stewardd)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        lines: list[str] = []
        listening = threading.Event()

        def read():
            for line in proc.stderr:
                lines.append(line)
                if '"listening"' in line or "listening" in line:
                    listening.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        deadline = time.monotonic() + 30
        while not listening.is_set() and proc.poll() is None and time.monotonic() < deadline:
            listening.wait(0.05)
        if not listening.is_set():
            proc.kill()
            proc.wait()
            pytest.fail("stewardd did not start (no 'listening' line):\n" + "".join(lines[-20:]), pytrace=False)
        try:
            if while_running:
                while_running()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail("stewardd did not stop within 15 s of SIGTERM", pytrace=False)
        reader.join(timeout=5)
        assert code == 0, f"stewardd exited {code}:\n" + "".join(lines[-20:])
        assert any("migrated the schema" in line or "schema" in line for line in lines), "".join(lines)


ROLLUP_MINUTES = 58
PREDICTIONS = """
INSERT INTO steward.prediction_log (at, model_name, model_version, track, latency_ms, status, label, confidence,
                                    char_length, word_count, oov_share, non_letter_share, request_id)
SELECT date_trunc('minute', %(now)s::timestamptz) - make_interval(mins => m) + make_interval(secs => i * 4),
       'sentiment', v.version, v.track,
       5 + (i %% 7) * 3 + CASE WHEN v.track = 'canary' THEN 4 ELSE 0 END,
       CASE WHEN failed THEN 500 ELSE 200 END,
       CASE WHEN failed THEN NULL WHEN i %% 5 < 3 THEN 'positive' ELSE 'negative' END,
       CASE WHEN failed THEN NULL ELSE 0.6 + (i %% 4) * 0.1 END,
       40 + i, 8 + i %% 5, 0.02, 0.1, 'r-' || m || '-' || i || '-' || v.track
FROM generate_series(1, %(minutes)s) AS m
CROSS JOIN (VALUES ('1', 'stable', 12), ('2', 'canary', 4)) AS v(version, track, n)
CROSS JOIN generate_series(0, 11) AS i
CROSS JOIN LATERAL (SELECT v.track = 'stable' AND i = 0 AND m %% 10 = 0 AS failed) AS f
WHERE i < v.n
"""


def serve_predictions_and_wait_for_rollups(url: str, timeout: float = 45):
    """The rollup panels read what stewardd's monitor really writes: prediction
    log rows for two versions and tracks over the last hour, rolled up by the
    running leader (its first pass is 15 s after start)."""
    conn = _connect(url)
    conn.autocommit = True
    expected = ROLLUP_MINUTES * 2
    try:
        with conn.cursor() as c:
            c.execute(PREDICTIONS, {"now": NOW, "minutes": ROLLUP_MINUTES})
            deadline = time.monotonic() + timeout
            count = 0
            while time.monotonic() < deadline:
                c.execute("SELECT count(*) FROM steward.serving_rollup_1m WHERE model_name = 'sentiment'")
                count = c.fetchone()[0]
                if count >= expected:
                    return
                time.sleep(0.5)
            pytest.fail(f"stewardd's monitor wrote {count} of {expected} rollup rows within {timeout:.0f} s", pytrace=False)
    finally:
        conn.close()


def insert_fixtures(c):
    """A small but complete history for model `sentiment` (the rollups come from
    stewardd itself, above): two versions, runs in every final state, drift
    windows with a shift, feedback, alerts, one promoted and one aborted rollout."""
    ms = lambda t: int(t.timestamp() * 1000)  # noqa: E731
    c.execute("SELECT 1")
    c.execute("""INSERT INTO steward.registered_models (name, policy, creation_time, last_update_time)
                 VALUES ('sentiment', 'accuracy >= 0.8', %s, %s) RETURNING id""", (ms(NOW), ms(NOW)))
    model_id = c.fetchone()[0]
    c.execute("""INSERT INTO steward.experiments (name, creation_time, last_update_time) VALUES ('sentiment', %s, %s)
                 RETURNING id""", (ms(NOW), ms(NOW)))
    exp_id = c.fetchone()[0]
    c.execute("""INSERT INTO steward.datasets (name, version, uri, sha256, rows) VALUES ('rotten-tomatoes', '1', 'file:///d', 'ab', 1000)
                 RETURNING id""")
    dataset_id = c.fetchone()[0]
    runs = [("r-ok-1", "FINISHED", 30, 26, 0.81), ("r-ok-2", "FINISHED", 5, 3, 0.84),
            ("r-fail", "FAILED", 4, 3.9, None), ("r-run", "RUNNING", 0.2, None, None)]
    for run_id, status, started_h, ended_h, acc in runs:
        start = NOW - dt.timedelta(hours=started_h)
        end = NOW - dt.timedelta(hours=ended_h) if ended_h is not None else None
        c.execute("""INSERT INTO steward.runs (id, experiment_id, name, status, start_time, end_time, artifact_uri, dataset_id,
                     job_name, failure_reason) VALUES (%s, %s, %s, %s, %s, %s, 'mlflow-artifacts:/x', %s, %s, %s)""",
                  (run_id, exp_id, f"train-{run_id}", status, ms(start), ms(end) if end else None, dataset_id,
                   f"steward-train-{run_id}", "steward-training: error: out of memory" if status == "FAILED" else None))
        c.execute("""INSERT INTO steward.run_specs (run_id, model_id, dataset_id, base_model, executor, attempts, submitted_at)
                     VALUES (%s, %s, %s, 'tiny', 'local', 1, %s)""", (run_id, model_id, dataset_id, start))
        previous = None
        for step, to_status in enumerate(["QUEUED", "SUBMITTED", "RUNNING", status][: 4 if status != "RUNNING" else 3]):
            c.execute("""INSERT INTO steward.run_events (run_id, at, from_status, to_status, reason) VALUES (%s, %s, %s, %s, 'fixture')""",
                      (run_id, start + dt.timedelta(seconds=step), previous, to_status))
            previous = to_status
        if acc is not None:
            for epoch in range(3):
                value = acc - 0.05 * (2 - epoch)
                c.execute("""INSERT INTO steward.metrics (run_id, key, value, step, timestamp) VALUES (%s, 'accuracy', %s, %s, %s)""",
                          (run_id, value, epoch, ms(start + dt.timedelta(minutes=10 * (epoch + 1)))))
            c.execute("""INSERT INTO steward.latest_metrics (run_id, key, value, step, timestamp) VALUES
                         (%s, 'accuracy', %s, 2, %s), (%s, 'f1', %s, 2, %s)""",
                      (run_id, acc, ms(end), run_id, acc - 0.01, ms(end)))
    version_ids = {}
    for version, run_id, stage, acc in ((1, "r-ok-1", "Production", 0.81), (2, "r-ok-2", "Staging", 0.84)):
        c.execute("""INSERT INTO steward.model_versions (model_id, version, source, run_id, stage, metrics, creation_time, last_update_time)
                     VALUES (%s, %s, 'runs:/x/model', %s, %s, %s, %s, %s) RETURNING id""",
                  (model_id, version, run_id, stage, json.dumps({"accuracy": acc, "f1": acc - 0.01}), ms(NOW), ms(NOW)))
        version_ids[version] = c.fetchone()[0]
        c.execute("""INSERT INTO steward.promotion_decisions (model_id, version, policy, inputs, passed, clauses)
                     VALUES (%s, %s, 'accuracy >= 0.8', %s, true, %s)""",
                  (model_id, version, json.dumps({"accuracy": acc}),
                   json.dumps([{"clause": "accuracy >= 0.8", "passed": True, "left": acc, "right": 0.8}])))
    c.execute("INSERT INTO steward.model_aliases (model_id, alias, version_id) VALUES (%s, 'champion', %s)",
              (model_id, version_ids[1]))

    for w in range(12):
        window_start = NOW - dt.timedelta(minutes=5 * (12 - w))
        for feature in ("char_length", "word_count", "oov_share", "non_letter_share"):
            for method in ("quantile", "evidently"):
                psi = 0.02 + (0.03 * w if feature == "oov_share" else 0.0)
                c.execute("""INSERT INTO steward.drift_windows (window_start, window_end, model_name, model_version, track, feature,
                             method, psi, current_rows, dataset_id) VALUES (%s, %s, 'sentiment', '1', 'stable', %s, %s, %s, 2700, %s)""",
                          (window_start, window_start + dt.timedelta(minutes=5), feature, method, psi, dataset_id))
    for i in range(40):
        version = "1" if i % 4 else "2"
        predicted, label = ("positive", "positive") if i % 5 else ("positive", "negative")
        c.execute("""INSERT INTO steward.feedback (at, model_name, request_id, text, label, model_version, predicted_label)
                     VALUES (%s, 'sentiment', %s, 'fixture text', %s, %s, %s)""",
                  (NOW - dt.timedelta(minutes=7 * i), f"req-{i}", label, version, predicted))
    c.execute("""INSERT INTO steward.feedback (at, model_name, text, label) VALUES (%s, 'sentiment', 'no request id', 'negative')""",
              (NOW,))
    c.execute("""INSERT INTO steward.alert_rules (name, metric, model_name, threshold, for_seconds)
                 VALUES ('sentiment-drift', 'input_psi', 'sentiment', 0.25, 600),
                        ('sentiment-errors', 'error_rate', 'sentiment', 0.01, 300) RETURNING id""")
    drift_rule, error_rule = (row[0] for row in c.fetchall())
    c.execute("""INSERT INTO steward.alerts (rule_id, started_at, ended_at, value) VALUES
                 (%s, %s, NULL, 0.31), (%s, %s, %s, 0.04)""",
              (drift_rule, NOW - dt.timedelta(minutes=20), error_rule, NOW - dt.timedelta(hours=2), NOW - dt.timedelta(hours=1)))
    c.execute("""INSERT INTO steward.notifications (kind, payload, delivered_at) VALUES
                 ('alert.firing', '{"alert": "sentiment-drift"}', %s), ('rollout.promoted', '{"model": "sentiment"}', %s)
                 RETURNING id""", (NOW, NOW))
    firing, promoted = (row[0] for row in c.fetchall())
    c.execute("""INSERT INTO steward.webhooks (name, url, secret, created_by) VALUES ('ops', 'http://127.0.0.1:9/h', 's', 't')
                 RETURNING id""")
    hook = c.fetchone()[0]
    c.execute("""INSERT INTO steward.webhook_deliveries (webhook_id, notification_id, attempts, delivered_at) VALUES
                 (%s, %s, 3, NULL), (%s, %s, 1, %s)""", (hook, firing, hook, promoted, NOW))
    steps = json.dumps([{"weight": 10}, {"analysis_seconds": 300}, {"weight": 50}, {"analysis_seconds": 300}, {"weight": 100}])
    for canary, phase, events in (
        (2, "Promoted", [(0, 10, "weight", "canary weight 10%"), (1, 10, "analysis", "pass"), (2, 50, "weight", "canary weight 50%"),
                         (3, 50, "analysis", "pass"), (4, 100, "promoted", "promoted")]),
        (3, "Aborted", [(0, 10, "weight", "canary weight 10%"), (1, 10, "analysis", "fail: error rate 0.05 > 0.011"),
                        (1, 0, "aborted", "analysis failed 1 time(s)")]),
    ):
        created = NOW - dt.timedelta(hours=3 if canary == 2 else 1)
        c.execute("""INSERT INTO steward.rollouts (model_id, stable_version, canary_version, steps, analysis, step_index, weight, phase,
                     step_started_at, failures, reason, created_at, updated_at)
                     VALUES (%s, 1, %s, %s, '{}', %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
                  (model_id, canary, steps, events[-1][0], events[-1][1], phase, created, int(phase == "Aborted"),
                   events[-1][3], created, created + dt.timedelta(minutes=len(events) * 5)))
        rollout_id = c.fetchone()[0]
        for n, (step, weight, kind, detail) in enumerate(events):
            c.execute("""INSERT INTO steward.rollout_events (rollout_id, at, step_index, weight, kind, detail) VALUES (%s, %s, %s, %s, %s, %s)""",
                      (rollout_id, created + dt.timedelta(minutes=5 * n), step, weight, kind, detail))


# --- every panel's query ------------------------------------------------------------------


def variable_values(conn, board: dict) -> dict:
    values = {}
    for variable in board["templating"]["list"]:
        current = (variable.get("current") or {}).get("value")
        if variable["type"] == "query":
            sql = expand_macros(interpolate_variables(variable["query"], values))
            with conn.cursor() as c:
                c.execute(sql)
                options = [str(row[0]) for row in c.fetchall()]
            assert options, f"variable ${variable['name']}: its query returned no rows"
            values[variable["name"]] = current if current in options else options[0]
        elif variable["type"] == "custom":
            options = [o.strip() for o in variable["query"].split(",")]
            values[variable["name"]] = current if current in options else options[0]
        else:
            pytest.fail(f"variable type {variable['type']} is not handled by this test")
    return values


NUMERIC = (int, float, decimal.Decimal)


def run_panel(conn, board: dict, panel: dict):
    values = variable_values(conn, board)
    results = []
    for target in panel["targets"]:
        sql = expand_macros(interpolate_variables(target["rawSql"], values))
        with conn.cursor() as c:
            c.execute("SET statement_timeout = '10s'")
            try:
                c.execute(sql)
            except psycopg2.Error as error:
                pytest.fail(f"{panel['title']}: the query failed: {error}\n{sql}", pytrace=False)
            columns = [d.name for d in c.description]
            rows = c.fetchall()
        results.append((target, sql, columns, rows))
    return results


@pytest.mark.parametrize("board_name, panel", list(sql_panels()))
def test_panel_query_returns_the_expected_shape(database, board_name, panel):
    board = load_dashboards()[board_name]
    for target, sql, columns, rows in run_panel(database, board, panel):
        where = f"{board_name}: {panel['title']}"
        assert rows, f"{where}: no rows from the fixtures\n{sql}"
        assert len(set(columns)) == len(columns), f"{where}: duplicate column names {columns}"
        assert "?column?" not in columns, f"{where}: an unnamed column {columns}"
        if target["format"] == "time_series":
            assert "time" in columns, f"{where}: time_series needs a column named time, got {columns}"
            ti = columns.index("time")
            times = [row[ti] for row in rows]
            assert all(isinstance(t, (dt.datetime, *NUMERIC)) for t in times), f"{where}: time values {times[:3]}"
            keys = [t.timestamp() if isinstance(t, dt.datetime) else float(t) for t in times]
            assert keys == sorted(keys), f"{where}: rows are not ordered by time"
            value_columns = [i for i, name in enumerate(columns) if name not in ("time", "metric")]
            assert value_columns, f"{where}: no value column in {columns}"
            for i in value_columns:
                cells = [row[i] for row in rows]
                assert all(v is None or isinstance(v, NUMERIC) for v in cells), \
                    f"{where}: column {columns[i]} is not numeric: {cells[:3]}"
                assert any(v is not None for v in cells), f"{where}: column {columns[i]} has no value"
            if "metric" in columns:
                mi = columns.index("metric")
                assert all(isinstance(row[mi], str) and row[mi] for row in rows), f"{where}: metric must be non-empty text"
        else:
            expected = panel.get("stewardExpectColumns")
            assert expected, f"{where}: a table panel must list stewardExpectColumns (generate.py)"
            assert columns == expected, f"{where}: columns {columns}, expected {expected}"


def test_totals_panel_adds_up_what_stewardd_rolled_up(database):
    """One panel checked by value: the totals come from the prediction log rows
    written above, through stewardd's rollup and the panel's SQL."""
    board = load_dashboards()["service-health.json"]
    panel = next(p for p in board["panels"] if p["title"].startswith("Totals by version and track"))
    (_target, _sql, columns, rows), = run_panel(database, board, panel)
    got = {(r[columns.index("version")], r[columns.index("track")]): r for r in rows}
    stable, canary = got[("1", "stable")], got[("2", "canary")]
    assert stable[columns.index("requests")] == ROLLUP_MINUTES * 12
    assert stable[columns.index("errors")] == ROLLUP_MINUTES // 10
    assert canary[columns.index("requests")] == ROLLUP_MINUTES * 4
    assert canary[columns.index("errors")] == 0
