"""GET /api/2.0/mlflow/metrics/get-history-bulk-interval: MLflow's sampled history over runs (what its
UI charts), checked against the installed mlflow package's own algorithm
(`AbstractStore.get_metric_history_bulk_interval`) run on the same histories."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from mlflow.entities import Metric
from mlflow.store.tracking.abstract_store import AbstractStore

ENDPOINT = "/api/2.0/mlflow/metrics/get-history-bulk-interval"


def _log(client, run_id: str, steps) -> list[Metric]:
    now = int(time.time() * 1000)
    metrics = [Metric("loss", 1.0 / (1 + s), now + i, s) for i, s in enumerate(steps)]
    for start in range(0, len(metrics), 1000):
        client.log_batch(run_id, metrics=metrics[start:start + 1000])
    return metrics


def _oracle(histories: dict[str, list[Metric]], run_ids, max_results, start=None, end=None) -> list[tuple]:
    """What MLflow's own store answers for the same histories."""
    store = SimpleNamespace(get_metric_history=lambda run_id, key: histories[run_id],
                            _evenly_spaced_indices=AbstractStore._evenly_spaced_indices)
    answer = AbstractStore.get_metric_history_bulk_interval(store, run_ids, "loss", max_results, start, end)
    return [(m.run_id, m.step, m.value) for m in answer]


@pytest.fixture(scope="module")
def runs(client):
    experiment = client.create_experiment(f"bulk-interval-{time.time_ns()}")
    first = client.create_run(experiment).info.run_id
    second = client.create_run(experiment).info.run_id
    histories = {first: _log(client, first, range(0, 1000)), second: _log(client, second, range(500, 1500, 3))}
    return first, second, histories


@pytest.mark.parametrize("max_results, start, end", [
    (50, None, None), (40, 200, 900), (2500, None, None), (1, None, None), (7, 995, 1003), (10, 2000, 3000)])
def test_sampled_steps_match_mlflow(api, runs, max_results, start, end):
    first, second, histories = runs
    params = {"run_ids": [first, second], "metric_key": "loss", "max_results": max_results}
    if start is not None:
        params.update(start_step=start, end_step=end)
    answer = api.get(ENDPOINT, **params)
    assert answer.status_code == 200, answer.text
    got = [(m["run_id"], m["step"], m["value"]) for m in answer.json().get("metrics", [])]
    assert got == _oracle(histories, [first, second], max_results, start, end)


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
    params = {k: ([runs[0] if x == "FIRST" else x for x in v] if isinstance(v, list) else v) for k, v in params.items()}
    answer = api.get(ENDPOINT, **params)
    assert answer.status_code == status, answer.text
    assert answer.json()["error_code"] in ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST")
