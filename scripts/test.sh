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
step "format: swift-format lint (.swift-format: 4 spaces, 120 columns; fix with swift format format -i -r)"
swift format lint --strict -r --configuration .swift-format Sources Tests Package.swift
# swift-format does not break string literals or comments: no Swift line may pass 120 columns either.
long=$(find Sources Tests -name '*.swift' -exec awk 'length > 120 { print FILENAME ":" FNR }' {} +)
if [ -n "$long" ]; then printf 'lines over 120 columns:\n%s\n' "$long" >&2; exit 1; fi
step "fixtures from the Python reference stack"
bash scripts/fixtures.sh
step "building (debug, with tests)"
swift build --build-tests

step "starting the test PostgreSQL cluster"
# Another checkout's test cluster may hold the default port: then take a free one.
if ! bash scripts/pg.sh status --test >/dev/null 2>&1 \
   && python3 -c 'import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0)' "${STEWARD_TEST_PG_PORT:-54339}"; then
  STEWARD_TEST_PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  export STEWARD_TEST_PG_PORT
  echo "port 54339 is taken; the test cluster uses $STEWARD_TEST_PG_PORT"
fi
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
step "adversarial suite: stewardd attacked as a hostile authenticated user"
"$PY" -m pytest -q -p no:cacheprovider tests/adversarial
step "web console in headless chromium (screenshots: \$STEWARD_TEST_OUTPUT/console)"
export STEWARD_TEST_OUTPUT="${STEWARD_TEST_OUTPUT:-$ROOT/.steward/test-output}"
"$PY" -m pytest -q -p no:cacheprovider tests/console
echo "console screenshots: $STEWARD_TEST_OUTPUT/console"
step "serving API checks against steward-serve and the Python baseline"
"$PY" -m pytest -q -p no:cacheprovider tests/serving
step "infrastructure checks"
"$PY" -m pytest -q -p no:cacheprovider tests/infra
step "training"
(cd training && "$PY" -m pytest -q -p no:cacheprovider)
step "all tests passed"
