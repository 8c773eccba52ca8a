"""What a training Job (or the local executor) runs: ``python -m steward_training.entrypoint``.

Configured by environment only (docs/contracts.md, "Training entry point"):

    MLFLOW_TRACKING_URI      required: Steward's URL (the MLflow protocol is served there)
    MLFLOW_TRACKING_TOKEN    bearer token (read by the mlflow client itself)
    MLFLOW_RUN_ID            the run Steward created; log into it (else a run is created)
    STEWARD_DATASET_URI      required: file:// dataset version directory (its optional production split is
                             labelled production feedback: trained on, part held out)
    STEWARD_DATASET_NAME, STEWARD_DATASET_VERSION   names recorded with the run
    STEWARD_MODEL_NAME       required: registered model that gets the new version
    STEWARD_BASE_MODEL       "tiny" (default) or a Hugging Face model directory
    STEWARD_WARM_START_URI   optional: a previous version's model/hf (or model/) directory
    STEWARD_PARAMS           JSON object of training parameters (see params.TrainParams)
    STEWARD_OUTPUT_DIR       optional: keep model/ and metrics.json there too
    STEWARD_ASSETS           where the bundled vocab for "tiny" is (default .steward/assets)

Exit 0 on success; 2 for a configuration error, 1 for a failed run, with one line on
stderr prefixed ``steward-training: error:``. On success the last line of stdout is
a JSON summary (run id, model version, metrics).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Mapping

from .params import TINY, TrainParams
from .pipeline import RunConfig, TrainingError, run

PREFIX = "steward-training: error:"


class ConfigError(Exception):
    pass


def config_from_env(env: Mapping[str, str]) -> RunConfig:
    def need(name: str) -> str:
        value = env.get(name, "").strip()
        if not value:
            raise ConfigError(f"{name} is required")
        return value

    def optional(name: str) -> str | None:
        return env.get(name, "").strip() or None

    tracking_uri = need("MLFLOW_TRACKING_URI")
    dataset_uri = need("STEWARD_DATASET_URI")
    model_name = need("STEWARD_MODEL_NAME")
    if any(c in model_name for c in "'\"\\\n"):
        raise ConfigError("STEWARD_MODEL_NAME must not contain quotes, backslashes or newlines")
    base_model = optional("STEWARD_BASE_MODEL") or TINY
    if base_model != TINY and not (Path(base_model) / "config.json").is_file():
        raise ConfigError(f"STEWARD_BASE_MODEL: {base_model!r} is neither 'tiny' nor a Hugging Face model directory")
    try:
        params = TrainParams.parse(env.get("STEWARD_PARAMS"), base_model)
    except ValueError as e:
        raise ConfigError(f"STEWARD_PARAMS: {e}") from None
    output = optional("STEWARD_OUTPUT_DIR")
    return RunConfig(
        dataset_uri=dataset_uri,
        base_model=base_model,
        params=params,
        model_name=model_name,
        tracking_uri=tracking_uri,
        run_id=optional("MLFLOW_RUN_ID"),
        dataset_name=optional("STEWARD_DATASET_NAME"),
        dataset_version=optional("STEWARD_DATASET_VERSION"),
        warm_start_uri=optional("STEWARD_WARM_START_URI"),
        output_dir=Path(output) if output else None,
    )


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if isinstance(error, (ConfigError, TrainingError)) else f"{type(error).__name__}: {text}"


def main(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    try:
        config = config_from_env(env)
    except ConfigError as e:
        print(f"{PREFIX} {one_line(e)}", file=sys.stderr)
        return 2
    try:
        summary = run(config)
    except KeyboardInterrupt:
        print(f"{PREFIX} interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # every failure becomes the one line the orchestrator records
        print(f"{PREFIX} {one_line(e)}", file=sys.stderr)
        return 1
    # One line, and the last: the mlflow client prints its own lines ("View run ...") to stdout.
    print(json.dumps(summary, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
