"""runs/search ordered by a metric, paged: the same runs in the same order as MLflow's own store.

Steward walks `latest_metrics`' (key, value) index for a leading metric key and appends the runs
that lack the metric after it (bench/scale); this checks that the pages, read one after another
at every page size, are exactly MLflow's order, ties and runs without the metric included. The
oracle is the installed mlflow package's `SqlAlchemyStore.search_runs` on the same runs, in a store
of its own in a temporary folder (SQLite: it only runs MLflow's own SQL over MLflow's schema)."""

from __future__ import annotations

import time

import pytest
from mlflow.entities import Metric, Param, RunTag
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

# (acc or None, loss, lr): ties on acc, runs without acc, runs without lr.
RUNS = [(0.5, 1.0, "0.1"), (0.9, 2.0, "0.01"), (0.5, 3.0, None), (0.1, 4.0, "0.1"), (None, 5.0, "0.2"),
        (0.7, 6.0, "0.01"), (None, 7.0, None), (0.5, 8.0, "0.3"), (0.2, 9.0, "0.1"), (None, 10.0, "0.1")]
ORDERS = [["metrics.acc DESC"], ["metrics.acc ASC"], ["metrics.acc"], ["metrics.acc DESC", "params.lr DESC"],
          ["metrics.acc ASC", "start_time ASC"], ["params.lr", "metrics.acc DESC"]]
FILTERS = ["", "metrics.loss < 9.5", "metrics.acc > 0.3", "params.lr = '0.1'", "metrics.loss > 100"]


def _log(log_batch, run_id: str, index: int, acc, loss, lr) -> None:
    metrics = [Metric("loss", loss, 1000 + index, 0)] + ([Metric("acc", acc, 1000 + index, 0)] if acc is not None else [])
    params = [Param("lr", lr)] if lr is not None else []
    log_batch(run_id, metrics, params, [RunTag("index", str(index))])


@pytest.fixture(scope="module")
def stores(client, tmp_path_factory):
    folder = tmp_path_factory.mktemp("mlflow-store")
    store = SqlAlchemyStore(f"sqlite:///{folder}/mlflow.db", str(folder / "artifacts"))
    oracle_experiment = store.create_experiment("oracle")
    experiment = client.create_experiment(f"search-order-{time.time_ns()}")
    start = int(time.time() * 1000)
    for index, (acc, loss, lr) in enumerate(RUNS):
        run = client.create_run(experiment, start_time=start + index)
        _log(lambda r, m, p, t: client.log_batch(r, metrics=m, params=p, tags=t), run.info.run_id, index, acc, loss, lr)
        oracle_run = store.create_run(oracle_experiment, "bench", start + index, [], None).info.run_id
        _log(lambda r, m, p, t: store.log_batch(r, m, p, t), oracle_run, index, acc, loss, lr)
    return experiment, oracle_experiment, store


def _indices(runs) -> list[int]:
    return [int(run.data.tags["index"]) for run in runs]


@pytest.mark.parametrize("order_by", ORDERS, ids=lambda o: ",".join(o))
@pytest.mark.parametrize("filter_string", FILTERS)
def test_pages_follow_mlflows_order(api, stores, order_by, filter_string):
    experiment, oracle_experiment, store = stores
    expected = _indices(store.search_runs([oracle_experiment], filter_string, 1, 1000, order_by))
    for page_size in (1, 3, 4, 100):
        got, token = [], None
        while True:
            body = {"experiment_ids": [experiment], "filter": filter_string, "max_results": page_size,
                    "order_by": order_by, **({"page_token": token} if token else {})}
            answer = api.post("/api/2.0/mlflow/runs/search", body)
            assert answer.status_code == 200, answer.text
            runs = answer.json().get("runs", [])
            assert len(runs) <= page_size
            got += [int({t["key"]: t["value"] for t in r["data"]["tags"]}["index"]) for r in runs]
            token = answer.json().get("next_page_token")
            if not token:
                break
        assert got == expected, f"page size {page_size}"
