#!/usr/bin/env bash
# Runs every test: Swift unit and integration tests against a real PostgreSQL,
# the Python suites (the stock mlflow client against stewardd, training, infra
# checks). Installs what it needs first (scripts/setup.sh, idempotent) and
# starts/stops its own test PostgreSQL cluster.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

step() { printf '==> %s\n' "$*"; }

bash scripts/setup.sh
step "fixtures from the Python reference stack"
bash scripts/fixtures.sh
step "building (debug, with tests)"
swift build --build-tests

step "starting the test PostgreSQL cluster"
bash scripts/pg.sh start --test
trap 'bash scripts/pg.sh stop --test >/dev/null 2>&1 || true' EXIT
export STEWARD_TEST_DATABASE_URL
STEWARD_TEST_DATABASE_URL=$(bash scripts/pg.sh url --test)
export STEWARD_BIN_DIR="$ROOT/.build/debug"

step "Swift tests"
swift test --skip-build

PY="$ROOT/.steward/venv/bin/python"
step "MLflow-client and API suites against stewardd"
"$PY" -m pytest -q -p no:cacheprovider tests/registry
step "serving API checks against steward-serve and the Python baseline"
"$PY" -m pytest -q -p no:cacheprovider tests/serving
step "infrastructure checks"
"$PY" -m pytest -q -p no:cacheprovider tests/infra
step "training"
(cd training && "$PY" -m pytest -q -p no:cacheprovider)
step "all tests passed"
