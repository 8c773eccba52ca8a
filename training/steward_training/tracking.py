"""Reporting to Steward (or any MLflow tracking server) through the stock mlflow client.

Steward speaks MLflow's REST protocol, so this is plain ``MlflowClient`` use with an
explicit run id, no fluent global state. ``MLFLOW_TRACKING_TOKEN`` is sent as a
bearer token by the client itself. Without a tracking URI a ``Tracker`` records
nothing, so the trainer also runs stand-alone.

Registration uses ``create_model_version(name, source=<run artifact_uri>/model,
run_id=...)``: mlflow 3's ``register_model("runs:/...")`` needs the logged-models
API, which plain artifacts under ``model/`` do not have.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Mapping

PARAM_BATCH = 100      # MLflow's server-side limits per log-batch request
METRIC_BATCH = 1000
PARAM_VALUE_MAX = 6000


def _param_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text[:PARAM_VALUE_MAX]


class Tracker:
    def __init__(self, client=None, run_id: str | None = None):
        self.client = client
        self.run_id = run_id
        self._pending: list = []

    @property
    def enabled(self) -> bool:
        return self.client is not None

    @classmethod
    def open(cls, tracking_uri: str | None, run_id: str | None, experiment: str, run_name: str | None = None,
             tags: Mapping[str, str] | None = None) -> "Tracker":
        """Log into ``run_id`` when given (the run Steward created), else create a run in ``experiment``."""
        if not tracking_uri:
            return cls()
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
        if run_id:
            run = client.get_run(run_id)
            if run.info.status != "RUNNING":
                client.update_run(run_id, status="RUNNING")
        else:
            found = client.get_experiment_by_name(experiment)
            experiment_id = found.experiment_id if found else client.create_experiment(experiment)
            run_id = client.create_run(experiment_id, run_name=run_name, tags=dict(tags or {})).info.run_id
            tags = None
        tracker = cls(client, run_id)
        if tags:
            tracker.set_tags(tags)
        return tracker

    # -- params, tags, metrics ------------------------------------------------------------
    def log_params(self, params: Mapping[str, Any]) -> None:
        if not self.enabled:
            return
        from mlflow.entities import Param

        items = [Param(k, _param_value(v)) for k, v in params.items()]
        for i in range(0, len(items), PARAM_BATCH):
            self.client.log_batch(self.run_id, params=items[i:i + PARAM_BATCH])

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        if not self.enabled:
            return
        from mlflow.entities import RunTag

        self.client.log_batch(self.run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()])

    def add_metric(self, key: str, value: float, step: int = 0) -> None:
        """Queue one metric value; sent by ``flush`` (training steps are sent in batches)."""
        if not self.enabled:
            return
        from mlflow.entities import Metric

        self._pending.append(Metric(key, float(value), int(time.time() * 1000), int(step)))

    def flush(self) -> None:
        if not self.enabled or not self._pending:
            return
        pending, self._pending = self._pending, []
        for i in range(0, len(pending), METRIC_BATCH):
            self.client.log_batch(self.run_id, metrics=pending[i:i + METRIC_BATCH])

    def log_metrics(self, metrics: Mapping[str, float], step: int = 0) -> None:
        for key, value in metrics.items():
            self.add_metric(key, value, step)
        self.flush()

    # -- datasets, artifacts, registry ----------------------------------------------------
    def log_dataset(self, name: str, digest: str, source_uri: str, profile: Mapping | None,
                    context: str, tags: Mapping[str, str] | None = None) -> None:
        """One dataset input of the run (MLflow's log-inputs), with its profile as JSON."""
        if not self.enabled:
            return
        from mlflow.entities import Dataset, DatasetInput, InputTag

        dataset = Dataset(
            name=name,
            digest=digest[:36],  # MLflow's own store holds at most 36 characters; the full sha256 is a tag
            source_type="local" if source_uri.startswith(("file:", "/")) else "external",
            source=json.dumps({"uri": source_uri}),
            schema=json.dumps({"columns": [{"name": "text", "type": "string"}, {"name": "label", "type": "string"}]}),
            profile=json.dumps(profile) if profile is not None else None,
        )
        input_tags = [InputTag("mlflow.data.context", context)]
        input_tags += [InputTag(k, str(v)) for k, v in (tags or {}).items()]
        self.client.log_inputs(self.run_id, datasets=[DatasetInput(dataset, input_tags)])

    def log_artifacts(self, directory: Path, artifact_path: str) -> None:
        if self.enabled:
            self.client.log_artifacts(self.run_id, str(directory), artifact_path)

    def log_json(self, value: Any, artifact_file: str) -> None:
        if self.enabled:
            self.client.log_dict(self.run_id, value, artifact_file)

    def register_version(self, model_name: str, artifact_path: str = "model",
                         description: str | None = None, tags: Mapping[str, str] | None = None):
        """Create the registered model when missing, then a version from this run's ``model/``."""
        if not self.enabled:
            return None
        from mlflow.exceptions import MlflowException

        try:
            self.client.get_registered_model(model_name)
        except MlflowException as e:
            if e.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
            try:
                self.client.create_registered_model(model_name)
            except MlflowException as race:  # another run registered it in between
                if race.error_code != "RESOURCE_ALREADY_EXISTS":
                    raise
        run = self.client.get_run(self.run_id)
        source = f"{run.info.artifact_uri.rstrip('/')}/{artifact_path}"
        # A retried Job logs into the same run: its version already exists, do not add a second one.
        for existing in self.client.search_model_versions(f"name='{model_name}'"):
            if existing.run_id == self.run_id and existing.source == source:
                return existing
        return self.client.create_model_version(
            model_name, source=source, run_id=self.run_id, description=description, tags=dict(tags or {}),
        )

    def finish(self, status: str = "FINISHED") -> None:
        if self.enabled:
            self.flush()
            self.client.set_terminated(self.run_id, status)
