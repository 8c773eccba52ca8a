"""GET /api/2.0/mlflow/metrics/get-history-bulk-interval: MLflow's sampled history over runs (what its
UI charts), checked against what MLflow's own tracking server answers: the installed mlflow package's
`SqlAlchemyStore.get_metric_history_bulk_interval` (NTILE sampling in SQL, as its server runs it on
PostgreSQL) on the same histories, in a store of its own in a temporary folder.

The oracle's store is SQLite because it only has to run MLflow's own SQL over MLflow's own schema
(SQLite has the window functions it uses); Steward's side is the real server on PostgreSQL."""

from __future__ import annotations

import time

import pytest
from mlflow.entities import Metric
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

ENDPOINT = "/api/2.0/mlflow/metrics/get-history-bulk-interval"


def _history(steps, repeat_every: int = 0) -> list[Metric]:
    """Loss points; with `repeat_every`, every n-th step is logged twice (two values at one step)."""
    now = int(time.time() * 1000)
    metrics = [Metric("loss", 1.0 / (1 + s), now + i, s) for i, s in enumerate(steps)]
    if repeat_every:
        metrics += [Metric("loss", 2.0 + s, now + len(metrics) + s, s) for s in list(steps)[::repeat_every]]
    return metrics


def _log(log_batch, run_id: str, metrics: list[Metric]) -> None:
    for start in range(0, len(metrics), 1000):
        log_batch(run_id, metrics[start:start + 1000])


@pytest.fixture(scope="module")
def runs(client, tmp_path_factory):
    """Three runs on Steward and the same three in MLflow's own store: (steward ids, mlflow ids, store)."""
    folder = tmp_path_factory.mktemp("mlflow-store")
    store = SqlAlchemyStore(f"sqlite:///{folder}/mlflow.db", str(folder / "artifacts"))
    oracle_experiment = store.create_experiment("oracle")
    experiment = client.create_experiment(f"bulk-interval-{time.time_ns()}")
    histories = [_history(range(0, 1000)), _history(range(500, 1500, 3)), _history(range(0, 120), repeat_every=7)]
    ours, theirs = [], []
    for metrics in histories:
        run_id = client.create_run(experiment).info.run_id
        _log(lambda r, batch: client.log_batch(r, metrics=batch), run_id, metrics)
        oracle_run = store.create_run(oracle_experiment, "bench", 0, [], None).info.run_id
        _log(lambda r, batch: store.log_batch(r, batch, [], []), oracle_run, metrics)
        ours.append(run_id)
        theirs.append(oracle_run)
    return ours, theirs, store


@pytest.mark.parametrize("max_results, start, end", [
    (50, None, None), (40, 200, 900), (2500, None, None), (1, None, None), (7, 995, 1003), (10, 2000, 3000),
    (999, None, None), (1000, None, None), (3, 0, 20)])
def test_sampled_points_match_mlflow(api, runs, max_results, start, end):
    ours, theirs, store = runs
    params = {"run_ids": ours, "metric_key": "loss", "max_results": max_results}
    if start is not None:
        params.update(start_step=start, end_step=end)
    answer = api.get(ENDPOINT, **params)
    assert answer.status_code == 200, answer.text
    got = [(ours.index(m["run_id"]), m["step"], m["timestamp"], m["value"])
           for m in answer.json().get("metrics", [])]
    expected = [(theirs.index(m.run_id), m.step, m.timestamp, m.value)
                for m in store.get_metric_history_bulk_interval(theirs, "loss", max_results, start, end)]
    assert got == expected


@pytest.mark.parametrize("params, status", [
    ({"metric_key": "loss"}, 400),
    ({"run_ids": ["x"] * 101, "metric_key": "loss"}, 400),
    ({"run_ids": ["FIRST"]}, 400),
    ({"run_ids": ["FIRST"], "metric_key": "loss", "start_step": 5}, 400),
    ({"run_ids": ["FIRST"], "metric_key": "loss", "start_step": 9, "end_step": 5}, 400),
    ({"run_ids": ["FIRST"], "metric_key": "loss", "max_results": 0}, 400),
    ({"run_ids": ["FIRST"], "metric_key": "loss", "max_results": 2501}, 400),
    ({"run_ids": ["FIRST", "no-such-run"], "metric_key": "loss"}, 404),
])
def test_bad_requests_get_mlflow_errors(api, runs, params, status):
    params = {k: ([runs[0][0] if x == "FIRST" else x for x in v] if isinstance(v, list) else v) for k, v in params.items()}
    answer = api.get(ENDPOINT, **params)
    assert answer.status_code == status, answer.text
    assert answer.json()["error_code"] in ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST")
