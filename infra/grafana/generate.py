#!/usr/bin/env python3
"""Writes the Steward dashboards (infra/grafana/dashboards/*.json).

The JSON files are committed and provisioned as they are; this script is how
they are made, so that the five dashboards share one data source, one model
variable and one panel style. Edit here, run it, commit both:

    python3 infra/grafana/generate.py

tests/infra/test_grafana.py checks the committed JSON equals this script's
output and runs every panel's SQL against a real PostgreSQL with the schema.

Conventions (Grafana's PostgreSQL data source):
- `format: time_series`: a column named `time` (timestamptz or epoch seconds),
  an optional text column `metric` naming the series, numeric value columns;
  rows ordered by time.
- `format: table`: named columns, any types.
- Time filters use Grafana's macros: `$__timeFilter(col)`, `$__timeGroupAlias(col, '1m')`,
  `$__timeFrom()`, `$__timeTo()`, `$__unixEpochFilter(expr)` and
  `$__unixEpochGroupAlias(expr, '1h')` for the registry's epoch-millisecond
  columns (divided by 1000). Macro arguments cannot contain `)` (Grafana's
  macro pattern stops at the first one), so expressions inside a macro are
  plain arithmetic.
- `$model` is a single-valued query variable, interpolated raw: write `'$model'`.
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parent / "dashboards"
DATASOURCE = {"type": "postgres", "uid": "steward-postgres"}


def model_variable() -> dict:
    return {
        "name": "model",
        "label": "Model",
        "type": "query",
        "datasource": DATASOURCE,
        "query": "SELECT name FROM steward.registered_models ORDER BY name",
        "definition": "SELECT name FROM steward.registered_models ORDER BY name",
        "refresh": 1,
        "multi": False,
        "includeAll": False,
        "current": {},
        "options": [],
        "sort": 1,
    }


class Board:
    def __init__(self, uid: str, title: str, description: str, tags: list[str], variables: list[dict],
                 time_from: str = "now-6h"):
        self.uid, self.title, self.description, self.tags = uid, title, description, tags
        self.variables, self.time_from = variables, time_from
        self.panels: list[dict] = []
        self.x = self.y = 0
        self.row_height = 0

    def _place(self, w: int, h: int) -> dict:
        if self.x + w > 24:
            self.x, self.y = 0, self.y + self.row_height
            self.row_height = 0
        pos = {"x": self.x, "y": self.y, "w": w, "h": h}
        self.x += w
        self.row_height = max(self.row_height, h)
        return pos

    def _panel(self, kind: str, title: str, description: str, w: int, h: int) -> dict:
        panel = {"id": len(self.panels) + 1, "type": kind, "title": title, "description": description,
                 "gridPos": self._place(w, h)}
        self.panels.append(panel)
        return panel

    def sql(self, kind: str, title: str, description: str, fmt: str, sql: str, *, w: int = 12, h: int = 8,
            unit: str | None = None, thresholds: list | None = None, threshold_lines: bool = False,
            step: bool = False, minimum: float | None = None, maximum: float | None = None,
            expect: list[str] | None = None) -> dict:
        panel = self._panel(kind, title, description, w, h)
        panel["datasource"] = DATASOURCE
        panel["targets"] = [{"refId": "A", "datasource": DATASOURCE, "editorMode": "code", "format": fmt,
                             "rawQuery": True, "rawSql": sql.strip()}]
        defaults: dict = {}
        if unit:
            defaults["unit"] = unit
        if minimum is not None:
            defaults["min"] = minimum
        if maximum is not None:
            defaults["max"] = maximum
        if thresholds:
            defaults["thresholds"] = {"mode": "absolute", "steps": thresholds}
        custom: dict = {}
        if kind == "timeseries":
            custom = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 0, "showPoints": "auto",
                      "spanNulls": False, "lineInterpolation": "stepAfter" if step else "linear"}
            if threshold_lines:
                custom["thresholdsStyle"] = {"mode": "line"}
            panel["options"] = {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["lastNotNull", "max"]},
                                "tooltip": {"mode": "multi", "sort": "desc"}}
        elif kind == "table":
            panel["options"] = {"showHeader": True, "cellHeight": "sm"}
        elif kind == "stat":
            panel["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                                "colorMode": "value", "graphMode": "none", "textMode": "auto"}
        if custom:
            defaults["custom"] = custom
        panel["fieldConfig"] = {"defaults": defaults, "overrides": []}
        if expect:
            # Not a Grafana field: the columns tests/infra/test_grafana.py expects
            # (Grafana ignores unknown keys in a panel).
            panel["stewardExpectColumns"] = expect
        return panel

    def text(self, title: str, content: str, w: int = 24, h: int = 4) -> dict:
        panel = self._panel("text", title, "", w, h)
        panel["options"] = {"mode": "markdown", "content": content}
        return panel

    def json(self) -> dict:
        return {
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": ["steward", *self.tags],
            "editable": False,
            "graphTooltip": 1,
            "schemaVersion": 39,
            "version": 1,
            "refresh": "1m",
            "time": {"from": self.time_from, "to": "now"},
            "timepicker": {},
            "timezone": "utc",
            "templating": {"list": self.variables},
            "annotations": {"list": []},
            "links": [{"title": "Steward dashboards", "type": "dashboards", "tags": ["steward"], "asDropdown": True}],
            "panels": self.panels,
        }


ROLLUP_WHERE = "WHERE $__timeFilter(minute) AND model_name = '$model'"
SERIES = "'v' || model_version || ' ' || track AS metric"


def service_health() -> Board:
    b = Board("steward-service-health", "Steward / Service health",
              "steward-serve traffic from steward.serving_rollup_1m (closed minutes, rolled up every 15 s by the leader's monitor).",
              ["serving"], [model_variable()])
    b.sql("timeseries", "Requests per second by version and track", "requests / 60 per closed minute", "time_series", f"""
SELECT $__timeGroupAlias(minute, '1m'), {SERIES},
       sum(requests) / 60.0 AS rps
FROM steward.serving_rollup_1m
{ROLLUP_WHERE}
GROUP BY 1, 2
ORDER BY 1""", unit="reqps", minimum=0)
    b.sql("timeseries", "Error rate by version and track",
          "share of predictions answered with status >= 500; SLO: below 1% (runbook/slos.md)", "time_series", f"""
SELECT $__timeGroupAlias(minute, '1m'), {SERIES},
       sum(errors)::float8 / nullif(sum(requests), 0) AS error_rate
FROM steward.serving_rollup_1m
{ROLLUP_WHERE}
GROUP BY 1, 2
ORDER BY 1""", unit="percentunit", minimum=0,
          thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 0.01}], threshold_lines=True)
    for quantile, slo in (("p50", None), ("p95", None), ("p99", 250)):
        b.sql("timeseries", f"Latency {quantile} by version and track (ms)",
              f"per-minute {quantile} of prediction latency (percentile_cont over the minute's predictions)"
              + (f"; SLO: p99 below {slo} ms" if slo else ""), "time_series", f"""
SELECT $__timeGroupAlias(minute, '1m'), {SERIES},
       max(latency_{quantile}_ms) AS latency_{quantile}_ms
FROM steward.serving_rollup_1m
{ROLLUP_WHERE}
GROUP BY 1, 2
ORDER BY 1""", unit="ms", minimum=0, w=8,
              thresholds=[{"color": "green", "value": None}, {"color": "red", "value": slo}] if slo else None,
              threshold_lines=bool(slo))
    b.sql("stat", "Minutes since the last rollup",
          "freshness of steward.serving_rollup_1m for this model; above 3 means the monitor (leader) is not rolling up "
          "or nothing is served", "table", """
SELECT extract(epoch FROM now() - max(minute) - interval '1 minute') / 60.0 AS minutes_behind
FROM steward.serving_rollup_1m
WHERE model_name = '$model'""", w=6, h=6, unit="m",
          thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 3}, {"color": "red", "value": 10}],
          expect=["minutes_behind"])
    b.sql("table", "Totals by version and track in the time range", "", "table", f"""
SELECT model_version AS version, track,
       sum(requests) AS requests, sum(errors) AS errors,
       round((sum(errors)::numeric / nullif(sum(requests), 0)) * 100, 3) AS error_pct,
       max(latency_p99_ms) AS worst_minute_p99_ms,
       min(minute) AS first_minute, max(minute) AS last_minute
FROM steward.serving_rollup_1m
{ROLLUP_WHERE}
GROUP BY 1, 2
ORDER BY 1, 2""", w=18, h=6,
          expect=["version", "track", "requests", "errors", "error_pct", "worst_minute_p99_ms", "first_minute", "last_minute"])
    b.sql("table", "Steward alerts (open, or closed in the range)",
          "stewardd's own alert rules over rollups and drift (PUT /api/v1/alert-rules/{name}; GET /api/v1/alerts)",
          "table", """
SELECT r.name AS rule, r.metric, r.threshold, a.value, a.started_at, a.ended_at,
       CASE WHEN a.ended_at IS NULL THEN 'open' ELSE 'closed' END AS state
FROM steward.alerts a
JOIN steward.alert_rules r ON r.id = a.rule_id
WHERE r.model_name = '$model' AND (a.ended_at IS NULL OR a.ended_at >= $__timeFrom())
ORDER BY a.ended_at IS NULL DESC, a.started_at DESC
LIMIT 100""", w=16, h=7, expect=["rule", "metric", "threshold", "value", "started_at", "ended_at", "state"])
    b.sql("stat", "Undelivered notifications", "webhook deliveries (every subscription, the configured "
          "STEWARD_ALERT_WEBHOOK_URL included) not delivered yet, and those refused for good; above 0 for long: a "
          "receiver is failing (GET /api/v1/webhooks/{name}/deliveries)", "table", """
SELECT count(*) FILTER (WHERE d.delivered_at IS NULL AND d.failed_at IS NULL) AS undelivered,
       coalesce(max(d.attempts) FILTER (WHERE d.delivered_at IS NULL AND d.failed_at IS NULL), 0) AS max_attempts,
       count(*) FILTER (WHERE d.failed_at IS NOT NULL) AS refused
FROM steward.webhook_deliveries d""", w=8, h=7,
          thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 1}],
          expect=["undelivered", "max_attempts", "refused"])
    return b


def model() -> Board:
    b = Board("steward-model", "Steward / Model",
              "What the served model answers: label shares and confidence from steward.serving_rollup_1m.",
              ["serving", "model"], [model_variable()])
    b.sql("timeseries", "Label shares by version", "each label's share of the minute's labelled predictions, per version",
          "time_series", """
WITH counts AS (
  SELECT r.minute, r.model_version, l.label, l.n::numeric AS n
  FROM steward.serving_rollup_1m r
  CROSS JOIN LATERAL jsonb_each_text(r.label_counts) AS l(label, n)
  WHERE $__timeFilter(r.minute) AND r.model_name = '$model'
)
SELECT $__timeGroupAlias(minute, '1m'), 'v' || model_version || ' ' || label AS metric,
       sum(n) / nullif(sum(sum(n)) OVER (PARTITION BY minute, model_version), 0) AS share
FROM counts
GROUP BY minute, model_version, label
ORDER BY 1""", unit="percentunit", minimum=0, maximum=1)
    b.sql("timeseries", "Mean confidence by version and track",
          "mean of the predicted label's probability, weighted by the minute's requests", "time_series", f"""
SELECT $__timeGroupAlias(minute, '1m'), {SERIES},
       sum(mean_confidence * requests) / nullif(sum(requests) FILTER (WHERE mean_confidence IS NOT NULL), 0) AS mean_confidence
FROM steward.serving_rollup_1m
{ROLLUP_WHERE}
GROUP BY 1, 2
ORDER BY 1""", unit="percentunit", minimum=0.5, maximum=1)
    b.sql("table", "Label shares in the time range", "", "table", """
SELECT r.model_version AS version, r.track, l.label,
       sum(l.n::bigint) AS predictions,
       round(sum(l.n::numeric) / nullif(sum(sum(l.n::numeric)) OVER (PARTITION BY r.model_version, r.track), 0), 4) AS share
FROM steward.serving_rollup_1m r
CROSS JOIN LATERAL jsonb_each_text(r.label_counts) AS l(label, n)
WHERE $__timeFilter(r.minute) AND r.model_name = '$model'
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3""", w=12, expect=["version", "track", "label", "predictions", "share"])
    b.sql("timeseries", "Live accuracy by version (feedback)",
          "share of predictions whose true label, sent later with POST /api/v1/feedback and the prediction's "
          "request_id, equals the predicted label; hourly", "time_series", """
SELECT $__timeGroupAlias(at, '1h'), 'v' || model_version AS metric,
       avg((predicted_label = label)::int) AS accuracy
FROM steward.feedback
WHERE $__timeFilter(at) AND model_name = '$model' AND model_version IS NOT NULL AND predicted_label IS NOT NULL
GROUP BY 1, 2
ORDER BY 1""", w=12, unit="percentunit", minimum=0, maximum=1)
    b.sql("table", "Live accuracy in the time range", "what GET /api/v1/models/{name}/accuracy reports, limited to the range",
          "table", """
SELECT model_version AS version, count(*) AS feedback,
       count(*) FILTER (WHERE predicted_label = label) AS correct,
       round(avg((predicted_label = label)::int)::numeric, 4) AS accuracy,
       max(at) AS latest_feedback
FROM steward.feedback
WHERE $__timeFilter(at) AND model_name = '$model' AND model_version IS NOT NULL AND predicted_label IS NOT NULL
GROUP BY 1
ORDER BY 1""", w=12, expect=["version", "feedback", "correct", "accuracy", "latest_feedback"])
    b.text("About live accuracy",
           "Live accuracy counts only predictions that received feedback (`POST /api/v1/feedback` with the "
           "prediction's `request_id`): it is late, sparse and biased towards whatever gets reviewed. Read it "
           "beside the feedback count; feedback without a `request_id` is training data only and is not counted. "
           "Offline accuracy of each version is on the Training dashboard.", w=24, h=3)
    return b


def drift() -> Board:
    method = {"name": "method", "label": "PSI method", "type": "custom", "query": "quantile,evidently",
              "multi": False, "includeAll": False,
              "current": {"text": "quantile", "value": "quantile", "selected": True},
              "options": [{"text": "quantile", "value": "quantile", "selected": True},
                          {"text": "evidently", "value": "evidently", "selected": False}]}
    b = Board("steward-drift", "Steward / Drift",
              "PSI of each input feature against the training dataset's reference, per 5-minute window "
              "(steward.drift_windows, written by the leader's monitor). 0.1: watch; 0.25: drift.",
              ["monitoring", "drift"], [model_variable(), method], time_from="now-24h")
    psi_thresholds = [{"color": "green", "value": None}, {"color": "orange", "value": 0.1}, {"color": "red", "value": 0.25}]
    b.sql("timeseries", "PSI per feature", "largest PSI of the window per feature, version and track; lines at 0.1 and 0.25",
          "time_series", """
SELECT $__timeGroupAlias(window_start, '5m'),
       feature || ' v' || model_version || ' ' || track AS metric,
       max(psi) AS psi
FROM steward.drift_windows
WHERE $__timeFilter(window_start) AND model_name = '$model' AND method = '$method'
GROUP BY 1, 2
ORDER BY 1""", w=24, h=10, minimum=0, thresholds=psi_thresholds, threshold_lines=True)
    b.sql("table", "Latest window per feature", "the most recent window of each feature, version and track in the range",
          "table", """
SELECT DISTINCT ON (feature, model_version, track)
       feature, model_version AS version, track, psi,
       CASE WHEN psi >= 0.25 THEN 'drift' WHEN psi >= 0.1 THEN 'watch' ELSE 'ok' END AS status,
       current_rows, window_start, window_end
FROM steward.drift_windows
WHERE $__timeFilter(window_start) AND model_name = '$model' AND method = '$method'
ORDER BY feature, model_version, track, window_start DESC""", w=14, h=8,
          expect=["feature", "version", "track", "psi", "status", "current_rows", "window_start", "window_end"])
    b.sql("timeseries", "Rows per window", "predictions in each drift window (small windows give noisy PSI)",
          "time_series", """
SELECT $__timeGroupAlias(window_start, '5m'), 'v' || model_version || ' ' || track AS metric,
       max(current_rows) AS current_rows
FROM steward.drift_windows
WHERE $__timeFilter(window_start) AND model_name = '$model' AND method = '$method'
GROUP BY 1, 2
ORDER BY 1""", w=10, h=8, minimum=0)
    return b


def rollouts() -> Board:
    b = Board("steward-rollouts", "Steward / Rollouts",
              "Canary rollouts: weights, every decision and the serving history (steward.rollouts, rollout_events, serving_assignments).",
              ["rollouts"], [model_variable()], time_from="now-24h")
    b.sql("timeseries", "Canary weight", "canary traffic weight (%) after each rollout event", "time_series", """
SELECT e.at AS "time", 'rollout ' || r.id || ' (v' || r.canary_version || ')' AS metric, e.weight AS weight
FROM steward.rollout_events e
JOIN steward.rollouts r ON r.id = e.rollout_id
JOIN steward.registered_models m ON m.id = r.model_id
WHERE $__timeFilter(e.at) AND m.name = '$model'
ORDER BY 1""", w=24, h=8, unit="percent", minimum=0, maximum=100, step=True)
    b.sql("table", "Rollouts active in the range", "phase Progressing/Paused is active; Promoted and Aborted are final",
          "table", """
SELECT r.id, r.stable_version, r.canary_version, r.phase, r.weight, r.step_index,
       jsonb_array_length(r.steps) AS steps, r.failures, r.reason, r.step_started_at, r.created_at, r.updated_at
FROM steward.rollouts r
JOIN steward.registered_models m ON m.id = r.model_id
WHERE m.name = '$model' AND r.created_at <= $__timeTo() AND r.updated_at >= $__timeFrom()
ORDER BY r.id DESC""", w=24, h=6,
          expect=["id", "stable_version", "canary_version", "phase", "weight", "step_index", "steps", "failures",
                  "reason", "step_started_at", "created_at", "updated_at"])
    b.sql("table", "Step decisions", "every weight change, analysis verdict, pause, abort and promotion, newest first",
          "table", """
SELECT e.at, r.id AS rollout, r.canary_version, e.step_index, e.weight, e.kind, e.detail
FROM steward.rollout_events e
JOIN steward.rollouts r ON r.id = e.rollout_id
JOIN steward.registered_models m ON m.id = r.model_id
WHERE $__timeFilter(e.at) AND m.name = '$model'
ORDER BY e.at DESC, e.id DESC
LIMIT 500""", w=24, h=10, expect=["at", "rollout", "canary_version", "step_index", "weight", "kind", "detail"])
    b.sql("timeseries", "Version served per track", "the version each track was assigned (champion: stable, challenger: canary)",
          "time_series", """
SELECT s.from_at AS "time", s.track AS metric, s.version AS version
FROM steward.serving_assignments s
JOIN steward.registered_models m ON m.id = s.model_id
WHERE m.name = '$model' AND s.from_at <= $__timeTo() AND COALESCE(s.to_at, now()) >= $__timeFrom()
ORDER BY 1""", w=12, h=8, minimum=0, step=True)
    b.sql("table", "Serving history", "which version served each track, from when to when (to empty: still serving)", "table", """
SELECT s.track, s.version, s.from_at AS "from", s.to_at AS "to"
FROM steward.serving_assignments s
JOIN steward.registered_models m ON m.id = s.model_id
WHERE m.name = '$model' AND s.from_at <= $__timeTo() AND COALESCE(s.to_at, now()) >= $__timeFrom()
ORDER BY s.from_at DESC, s.id DESC""", w=12, h=8, expect=["track", "version", "from", "to"])
    return b


def training() -> Board:
    metric = {"name": "metric", "label": "Metric", "type": "query", "datasource": DATASOURCE,
              "query": "SELECT DISTINCT key FROM steward.latest_metrics ORDER BY key",
              "definition": "SELECT DISTINCT key FROM steward.latest_metrics ORDER BY key",
              "refresh": 1, "multi": False, "includeAll": False, "sort": 1,
              "current": {"text": "accuracy", "value": "accuracy", "selected": True}, "options": []}
    b = Board("steward-training", "Steward / Training",
              "Training runs (steward.runs, run_specs, run_events, metrics), versions and promotion verdicts. "
              "Runs are filtered by start time; the registry keeps times in epoch milliseconds.",
              ["training"], [model_variable(), metric], time_from="now-7d")
    b.sql("table", "Runs by status", "runs started in the range (all experiments)", "table", """
SELECT status, count(*) AS runs
FROM steward.runs
WHERE $__unixEpochFilter(start_time / 1000) AND lifecycle_stage = 'active'
GROUP BY status
ORDER BY runs DESC""", w=6, h=8, expect=["status", "runs"])
    b.sql("timeseries", "Runs started per hour by status", "", "time_series", """
SELECT $__unixEpochGroupAlias(start_time / 1000, '1h'), status AS metric, count(*) AS runs
FROM steward.runs
WHERE $__unixEpochFilter(start_time / 1000) AND lifecycle_stage = 'active'
GROUP BY 1, 2
ORDER BY 1""", w=9, h=8, minimum=0)
    b.sql("timeseries", "Duration of finished runs", "end minus start, by final status, at the time the run ended",
          "time_series", """
SELECT end_time / 1000.0 AS "time", status AS metric, (end_time - start_time) / 1000.0 AS duration_s
FROM steward.runs
WHERE end_time IS NOT NULL AND $__unixEpochFilter(end_time / 1000)
ORDER BY 1""", w=9, h=8, unit="s", minimum=0)
    b.sql("table", "Runs", "newest first; failure_reason is the trainer's one-line error", "table", """
SELECT r.id AS run_id, e.name AS experiment, r.name, r.status, s.reason AS trigger, s.base_model,
       to_timestamp(r.start_time / 1000.0) AS started,
       to_timestamp(r.end_time / 1000.0) AS ended,
       (r.end_time - r.start_time) / 1000.0 AS duration_s,
       s.attempts, r.job_name, r.failure_reason
FROM steward.runs r
JOIN steward.experiments e ON e.id = r.experiment_id
LEFT JOIN steward.run_specs s ON s.run_id = r.id
WHERE $__unixEpochFilter(r.start_time / 1000) AND r.lifecycle_stage = 'active'
ORDER BY r.start_time DESC
LIMIT 200""", w=24, h=8,
          expect=["run_id", "experiment", "name", "status", "trigger", "base_model", "started", "ended", "duration_s",
                  "attempts", "job_name", "failure_reason"])
    b.sql("table", "Latest metrics of recent runs", "each run's latest value per key (MLflow's order)", "table", """
SELECT r.id AS run_id, r.name, r.status, lm.key, lm.value, lm.step
FROM steward.latest_metrics lm
JOIN steward.runs r ON r.id = lm.run_id
WHERE $__unixEpochFilter(r.start_time / 1000)
ORDER BY r.start_time DESC, lm.key
LIMIT 500""", w=12, h=10, expect=["run_id", "name", "status", "key", "value", "step"])
    b.sql("timeseries", "Metric $metric by run", "logged history of the selected metric", "time_series", """
SELECT m.timestamp / 1000.0 AS "time", coalesce(nullif(r.name, ''), r.id) AS metric, m.value
FROM steward.metrics m
JOIN steward.runs r ON r.id = m.run_id
WHERE m.key = '$metric' AND $__unixEpochFilter(m.timestamp / 1000)
ORDER BY 1""", w=12, h=10)
    b.sql("table", "Versions of $model", "stage, source run and offline metrics of each version", "table", """
SELECT v.version, v.stage, v.status, v.run_id,
       (v.metrics ->> 'accuracy')::float8 AS accuracy, (v.metrics ->> 'f1')::float8 AS f1,
       to_timestamp(v.creation_time / 1000.0) AS created,
       (SELECT string_agg(a.alias, ', ' ORDER BY a.alias) FROM steward.model_aliases a WHERE a.version_id = v.id) AS aliases
FROM steward.model_versions v
JOIN steward.registered_models m ON m.id = v.model_id
WHERE m.name = '$model'
ORDER BY v.version DESC""", w=12, h=8,
          expect=["version", "stage", "status", "run_id", "accuracy", "f1", "created", "aliases"])
    b.sql("table", "Promotion verdicts of $model", "the policy's verdict per version (stewardctl versions show)", "table", """
SELECT d.version, d.passed, d.policy, d.clauses::text AS clauses, d.decided_at
FROM steward.promotion_decisions d
JOIN steward.registered_models m ON m.id = d.model_id
WHERE m.name = '$model'
ORDER BY d.version DESC""", w=12, h=8, expect=["version", "passed", "policy", "clauses", "decided_at"])
    b.sql("table", "Run state changes", "steward.run_events in the range, newest first", "table", """
SELECT ev.at, ev.run_id, ev.from_status, ev.to_status, ev.reason
FROM steward.run_events ev
WHERE $__timeFilter(ev.at)
ORDER BY ev.at DESC, ev.id DESC
LIMIT 500""", w=24, h=8, expect=["at", "run_id", "from_status", "to_status", "reason"])
    return b


BOARDS = {"service-health": service_health, "model": model, "drift": drift, "rollouts": rollouts, "training": training}


def render() -> dict[str, str]:
    return {f"{name}.json": json.dumps(make().json(), indent=2) + "\n" for name, make in BOARDS.items()}


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    for name, text in render().items():
        (OUT / name).write_text(text)
        print(f"wrote {OUT / name}")
