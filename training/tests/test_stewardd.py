"""The tiny configuration registers a version in a running stewardd through the stock mlflow client.

The fixture starts ``stewardd`` from ``$STEWARD_BIN_DIR`` (default ``.build/debug``)
on a free port with a fresh database on the test PostgreSQL cluster
(``scripts/pg.sh start --test``; ``$STEWARD_TEST_DATABASE_URL`` overrides its URL),
waits for ``/ready``, and stops it and drops the database afterwards.

Environment given to stewardd: ``STEWARD_DATABASE_URL``, ``STEWARD_HTTP_PORT``,
``STEWARD_ARTIFACT_ROOT`` (a folder), ``STEWARD_BOOTSTRAP_TOKEN`` (an admin bearer
token, which the mlflow client sends as ``MLFLOW_TRACKING_TOKEN``),
``STEWARD_DATASET_ROOTS`` (where the bundled dataset was built) and
``STEWARD_VOCAB_PATH`` (the vocabulary its reference profiles use for the OOV share).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import numpy as np
import pytest
from helpers import check_logged_run, error_lines, run_entrypoint

from steward_training.data import REPO_ROOT
from steward_training.features import FEATURES

TEST_DATABASE_URL = os.environ.get("STEWARD_TEST_DATABASE_URL", "postgresql://steward@127.0.0.1:54339/steward")
READY_TIMEOUT_S = 60
MODEL = "sentiment-tiny"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def with_database(url: str, name: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path=f"/{name}"))


def admin(sql: str) -> None:
    import psycopg2

    try:
        conn = psycopg2.connect(TEST_DATABASE_URL, connect_timeout=5)
    except psycopg2.OperationalError as e:
        pytest.fail(f"test PostgreSQL at {TEST_DATABASE_URL} is not reachable (scripts/pg.sh start --test): {e}")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ready", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@pytest.fixture(scope="module")
def stewardd(tmp_path_factory, dataset_dir, assets):
    binary = Path(os.environ.get("STEWARD_BIN_DIR", REPO_ROOT / ".build" / "debug")) / "stewardd"
    if not binary.is_file():
        pytest.fail(f"{binary} not found: build it (swift build) or set STEWARD_BIN_DIR")
    database = f"steward_training_{secrets.token_hex(4)}"
    admin(f'CREATE DATABASE "{database}"')
    root = tmp_path_factory.mktemp("stewardd")
    port, token = free_port(), secrets.token_hex(16)
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "STEWARD_DATABASE_URL": with_database(TEST_DATABASE_URL, database),
           "STEWARD_HTTP_PORT": str(port), "STEWARD_ARTIFACT_ROOT": str(root / "artifacts"),
           "STEWARD_BOOTSTRAP_TOKEN": token, "STEWARD_DATASET_ROOTS": str(dataset_dir.parent),
           "STEWARD_VOCAB_PATH": str(assets / "minilm" / "vocab.txt")}
    log = open(root / "stewardd.log", "wb")
    process = subprocess.Popen([str(binary)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(READY_TIMEOUT_S * 5):
            if ready(url):
                break
            try:
                process.wait(timeout=0.2)  # returns only if stewardd exited
            except subprocess.TimeoutExpired:
                continue
            pytest.fail(f"stewardd exited with {process.returncode}: {(root / 'stewardd.log').read_text()[-2000:]}")
        else:
            pytest.fail(f"stewardd not ready after {READY_TIMEOUT_S} s: {(root / 'stewardd.log').read_text()[-2000:]}")
        yield {"url": url, "token": token, "log": root / "stewardd.log"}
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture(scope="module")
def stewardd_client(stewardd):
    from mlflow.tracking import MlflowClient

    previous = os.environ.get("MLFLOW_TRACKING_TOKEN")
    os.environ["MLFLOW_TRACKING_TOKEN"] = stewardd["token"]  # the stock client reads it from the environment
    yield MlflowClient(tracking_uri=stewardd["url"], registry_uri=stewardd["url"])
    if previous is None:
        os.environ.pop("MLFLOW_TRACKING_TOKEN", None)
    else:
        os.environ["MLFLOW_TRACKING_TOKEN"] = previous


def job_env(stewardd, run_id, dataset_dir, params, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "STEWARD_")) or k == "STEWARD_ASSETS"}
    env.update({"MLFLOW_TRACKING_URI": stewardd["url"], "MLFLOW_TRACKING_TOKEN": stewardd["token"],
                "MLFLOW_RUN_ID": run_id, "STEWARD_DATASET_URI": f"file://{dataset_dir}",
                "STEWARD_DATASET_NAME": "rotten-tomatoes", "STEWARD_DATASET_VERSION": "1",
                "STEWARD_MODEL_NAME": MODEL, "STEWARD_BASE_MODEL": "tiny", "STEWARD_PARAMS": json.dumps(params)})
    env.update(extra)
    return env


def new_run(client) -> str:
    """As the orchestrator does before the Job starts."""
    found = client.get_experiment_by_name(MODEL)
    experiment_id = found.experiment_id if found else client.create_experiment(MODEL)
    return client.create_run(experiment_id).info.run_id


@pytest.fixture(scope="module")
def first_version(stewardd, stewardd_client, dataset_dir, tmp_path_factory):
    run_id = new_run(stewardd_client)
    result = run_entrypoint(job_env(stewardd, run_id, dataset_dir, {"epochs": 1}), timeout=600)
    assert result.returncode == 0, error_lines(result.stderr) or result.stderr[-3000:]
    return {"run_id": run_id, "summary": json.loads(result.stdout.splitlines()[-1]),
            "download": tmp_path_factory.mktemp("stewardd-download")}


def test_tiny_run_registers_a_version_in_stewardd(first_version, stewardd_client, dataset_dir):
    manifest = json.loads((dataset_dir / "manifest.json").read_text())
    metrics = check_logged_run(stewardd_client, first_version["run_id"], MODEL, first_version["download"],
                               manifest["sha256"])
    assert metrics["accuracy"] >= 0.70
    version = stewardd_client.get_model_version(MODEL, first_version["summary"]["model_version"])
    assert version.run_id == first_version["run_id"] and version.status == "READY"


def test_warm_start_from_a_registered_version(first_version, stewardd, stewardd_client, dataset_dir):
    """The orchestrator's retrain passes ``models:/<name>/<version>``; the client resolves it through Steward."""
    run_id = new_run(stewardd_client)
    version = first_version["summary"]["model_version"]
    params = {"epochs": 1, "max_train_rows": 300, "quantize": 0, "latency_rows": 20, "learning_rate": 1e-4}
    result = run_entrypoint(job_env(stewardd, run_id, dataset_dir, params,
                                    STEWARD_WARM_START_URI=f"models:/{MODEL}/{version}"), timeout=600)
    assert result.returncode == 0, error_lines(result.stderr) or result.stderr[-3000:]
    run = stewardd_client.get_run(run_id)
    # 300 rows for one epoch from scratch stay at the majority class; from the warm start they do not
    assert run.data.metrics["accuracy"] >= 0.70
    assert run.data.params["warm_start_uri"] == f"models:/{MODEL}/{version}"
    assert int(run.data.tags["steward.model_version"]) == int(version) + 1


def test_dataset_registered_in_stewardd_agrees_with_the_manifest_and_profile(stewardd, dataset_dir, clean_env):
    """Steward computes digest, validation and reference profile itself (in Swift): they must equal ours."""
    import subprocess
    import sys

    env = {**clean_env, "STEWARD_TOKEN": stewardd["token"]}
    command = [sys.executable, "-m", "steward_training.data", "register", str(dataset_dir), "--url", stewardd["url"]]
    result = subprocess.run(command, cwd=REPO_ROOT / "training", env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    stored = json.loads(result.stdout)
    manifest = json.loads((dataset_dir / "manifest.json").read_text())
    assert stored["sha256"] == manifest["sha256"]
    assert stored["rows"] == manifest["rows"]
    ours = json.loads((dataset_dir / "profile.json").read_text())["features"]
    theirs = stored["profile"]["features"]
    for name in FEATURES:
        assert np.allclose(theirs[name]["edges"], ours[name]["edges"], rtol=0, atol=1e-9), name
        assert theirs[name]["counts"] == ours[name]["counts"], name
    again = subprocess.run(command, cwd=REPO_ROOT / "training", env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 2 and "409" in error_lines(again.stderr)[0]
