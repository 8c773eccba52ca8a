"""The adversarial suite: hostile inputs, races, a database that goes away, overload, crashes.

    STEWARD_BIN_DIR=/path/to/bins .steward/venv/bin/python -m pytest -q -p no:cacheprovider tests/adversarial

Binaries: `$STEWARD_BIN_DIR` (default `.build/debug` under the repository root).
Database: `$STEWARD_TEST_DATABASE_URL` (default: the test cluster, started with
`scripts/pg.sh start --test` when down); every database made here is dropped at the end.

Fixtures:
- `steward`: one shared stewardd (session), on its own database. When an earlier test killed it,
  it is started again on the same database and artifact root before the next test.
- `seed`: objects on the shared stewardd that numeric and string attacks aim at.
- `viewer`, `operator`: tokens with those roles on the shared stewardd.
- `make_stewardd(**env)`: a private stewardd on a fresh database (or `database_url=`), stopped
  at the end of the test.

Every test that used a stewardd ends with a check that its process is alive and that
GET /ready answers 200: `_daemon_survives` (autouse) collects the servers a test used and the
`pytest_runtest_call` wrapper below checks them after the test body, so a test whose own
assertions passed but left the daemon dead or unready is reported FAILED, not passed.
"""

from __future__ import annotations

import secrets
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support import Stewardd, StewarddError, TestDatabase, new_token  # noqa: E402

SURVIVAL_READY_DEADLINE_S = 10.0


def _watch(request, server: Stewardd) -> Stewardd:
    watched = request.node.stash.setdefault(_WATCHED, [])
    if server not in watched:
        watched.append(server)
    return server


_WATCHED = pytest.StashKey[list]()


@pytest.fixture(autouse=True)
def _daemon_survives(request):
    """Servers used by the test are checked (alive, /ready 200) once its body has passed."""
    request.node.stash.setdefault(_WATCHED, [])
    yield


def _check_survived(server: Stewardd) -> None:
    server.assert_alive()
    end = time.monotonic() + SURVIVAL_READY_DEADLINE_S
    status = server.ready_status()
    while status != 200 and time.monotonic() < end:
        time.sleep(0.1)  # polling interval
        status = server.ready_status()
    if status != 200:
        server.assert_alive()
        raise StewarddError(f"stewardd is alive but GET /ready answers {status}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield  # re-raises when the test body failed: nothing more to check then
    for server in item.stash.get(_WATCHED, []):
        _check_survived(server)
    return result


# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def shared_database():
    database = TestDatabase(prefix="steward_adversarial")
    yield database
    database.drop()


REGISTRY_TABLES = ("api_tokens", "audit_log", "datasets", "experiments", "runs", "run_params", "run_tags",
                   "metrics", "latest_metrics", "run_inputs", "artifacts", "registered_models", "model_versions",
                   "model_aliases", "logged_models", "reference_values")


class DatabaseFingerprint:
    """What each registry table holds: equal fingerprints before and after a refused request
    mean it wrote nothing (audit rows included). Tables that the background
    loops write (prediction log, rollups, drift windows, alerts) are left out."""

    def __init__(self, database: TestDatabase):
        self.database = database
        self.connection = None
        self.sql = None

    def __call__(self) -> dict[str, str]:
        if self.connection is None or self.connection.closed:
            self.connection = self.database.connect()
        with self.connection.cursor() as cur:
            if self.sql is None:
                cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'steward'")
                present = {row[0] for row in cur.fetchall()}
                # Row count and newest row version (xmin) per table: any insert, update or
                # delete changes one of them, and neither needs to read large values.
                self.sql = " UNION ALL ".join(
                    f"SELECT '{t}', count(*) || ':' || coalesce(max(xmin::text::bigint), 0) FROM steward.{t}"
                    for t in REGISTRY_TABLES if t in present)
            cur.execute(self.sql)
            return dict(cur.fetchall())

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


@pytest.fixture(scope="session")
def fingerprint(shared_database, _shared_stewardd):
    """What the shared stewardd has stored: its registry tables and its dataset folders."""
    tables = DatabaseFingerprint(shared_database)

    def take():
        folders = sorted(str(p.relative_to(_shared_stewardd.artifact_root))
                         for p in _shared_stewardd.artifact_root.glob("datasets/**/*"))
        return tables(), folders
    yield take
    tables.close()


@pytest.fixture(scope="session")
def _shared_stewardd(shared_database, tmp_path_factory):
    # Debug routes: /debug/sleep?ms= is one more integer query parameter to attack.
    server = Stewardd(shared_database.url, tmp_path_factory.mktemp("shared-stewardd"),
                      env={"STEWARD_DEBUG_ROUTES": "true"})
    server.start()
    yield server
    if server.alive():
        server.stop()


@pytest.fixture
def steward(_shared_stewardd, request) -> Stewardd:
    if not _shared_stewardd.alive():
        _shared_stewardd.start()  # an earlier test left it dead (and failed for it)
    return _watch(request, _shared_stewardd)


@pytest.fixture(scope="session")
def viewer(_shared_stewardd) -> str:
    if not _shared_stewardd.alive():
        _shared_stewardd.start()
    return new_token(_shared_stewardd, "viewer", "adversarial-viewer")


@pytest.fixture(scope="session")
def operator(_shared_stewardd) -> str:
    if not _shared_stewardd.alive():
        _shared_stewardd.start()
    return new_token(_shared_stewardd, "operator", "adversarial-operator")


SEED_CSV = b"text,label\na quietly devastating film,positive\ndull and long,negative\n" \
           b"a fine cast,positive\nnothing works,negative\n"


@pytest.fixture(scope="session")
def seed(_shared_stewardd) -> dict:
    """An experiment, a run with a metric, param and tag, a model with two versions, an alias
    and a dataset, on the shared stewardd."""
    s = _shared_stewardd
    if not s.alive():
        s.start()

    def ok(response, what):
        if response.status not in (200, 201):
            raise StewarddError(f"seeding: {what} answered {response!r}")
        return response.json()

    experiment_id = ok(s.post("/api/2.0/mlflow/experiments/create", {"name": "adv-seed"}), "experiment")["experiment_id"]
    run = ok(s.post("/api/2.0/mlflow/runs/create", {"experiment_id": experiment_id}), "run")["run"]["info"]
    run_id = run["run_id"]
    ok(s.post("/api/2.0/mlflow/runs/log-batch", {
        "run_id": run_id,
        "metrics": [{"key": "acc", "value": 0.5, "timestamp": 1, "step": 0}],
        "params": [{"key": "p", "value": "1"}], "tags": [{"key": "t", "value": "x"}]}), "log-batch")
    ok(s.post("/api/2.0/mlflow/registered-models/create", {"name": "adv-model"}), "model")
    for _ in range(2):
        ok(s.post("/api/2.0/mlflow/model-versions/create",
                  {"name": "adv-model", "source": run["artifact_uri"] + "/model", "run_id": run_id}), "version")
    ok(s.put("/api/v1/models/adv-model/aliases/champion", {"version": 1}), "alias")
    ok(s.put("/api/v1/datasets/adv-data/v1?format=csv", SEED_CSV, content_type="text/csv"), "dataset")
    return {"experiment_id": experiment_id, "run_id": run_id, "artifact_uri": run["artifact_uri"],
            "model": "adv-model", "dataset": "adv-data", "dataset_version": "v1"}


@pytest.fixture
def make_stewardd(request, tmp_path):
    """Starts private stewardds: make_stewardd(env={...}, database_url=None, token=None).
    Without database_url each gets a fresh database on the test cluster, dropped afterwards."""
    servers: list[Stewardd] = []
    databases: list[TestDatabase] = []

    def make(env: dict | None = None, database_url: str | None = None, token: str | None = None,
             start: bool = True) -> Stewardd:
        if database_url is None:
            database = TestDatabase(prefix="steward_adversarial")
            databases.append(database)
            database_url = database.url
        kwargs = {"token": token} if token else {}
        server = Stewardd(database_url, tmp_path / f"stewardd-{len(servers)}-{secrets.token_hex(2)}",
                          env=dict(env or {}), **kwargs)
        servers.append(server)
        _watch(request, server)
        if start:
            server.start()
        return server

    yield make
    for server in servers:
        if server.alive():
            try:
                server.stop()
            except StewarddError:
                server.kill()
    for database in databases:
        database.drop()
