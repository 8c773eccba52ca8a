#!/usr/bin/env bash
# Brings Steward up on the embedded default and walks one model through it:
# a local PostgreSQL under .steward/pg, stewardd, the bundled dataset
# registered, a small CPU training run logged through the stock mlflow client,
# the version promoted, steward-serve following the `champion` alias, and real
# traffic. Services stay up for stewardctl/curl until Ctrl-C (or --exit).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
EXIT_AT_END=0
for arg in "$@"; do
  case "$arg" in
    --exit) EXIT_AT_END=1 ;;
    *) echo "run: unknown option $arg (known: --exit)" >&2; exit 2 ;;
  esac
done

STATE="$ROOT/.steward"
LOGS="$STATE/logs"
PY="$STATE/venv/bin/python"
API=http://127.0.0.1:7400
SERVE=http://127.0.0.1:7500
step() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }

bash scripts/setup.sh
step "building Steward (debug)"
swift build --product stewardd >/dev/null && swift build --product steward-serve >/dev/null && swift build --product stewardctl >/dev/null
BIN=$(swift build --show-bin-path)

mkdir -p "$LOGS"
step "starting the embedded PostgreSQL (.steward/pg)"
bash scripts/pg.sh start
DB_URL=$(bash scripts/pg.sh url)

TOKEN_FILE="$STATE/admin-token"
if [ ! -s "$TOKEN_FILE" ]; then
  (umask 077; "$PY" -c 'import secrets; print("stw_" + secrets.token_hex(24))' > "$TOKEN_FILE")
fi
TOKEN=$(cat "$TOKEN_FILE")
AUTH="Authorization: Bearer $TOKEN"

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  bash scripts/pg.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_ready() {
  for _ in $(seq 1 300); do
    if curl -fsS "$1/ready" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "run: $2 did not become ready; see $LOGS/$2.log" >&2
  exit 1
}

step "starting stewardd on $API (logs: .steward/logs/stewardd.log)"
STEWARD_DATABASE_URL="$DB_URL" STEWARD_HTTP_PORT=7400 STEWARD_ARTIFACT_ROOT="$STATE/artifacts" \
  STEWARD_BOOTSTRAP_TOKEN_FILE="$TOKEN_FILE" STEWARD_VOCAB_PATH="$STATE/assets/minilm/vocab.txt" \
  STEWARD_DATASET_ROOTS="$STATE/data" "$BIN/stewardd" >>"$LOGS/stewardd.log" 2>&1 &
PIDS+=($!)
wait_ready "$API" stewardd

DATA="$STATE/data/rotten-tomatoes/1"
step "building the bundled dataset (Rotten Tomatoes critic snippets) into .steward/data"
if [ ! -f "$DATA/manifest.json" ]; then
  (cd training && "$PY" -m steward_training.data build --out "$DATA" >/dev/null)
fi
step "registering dataset rotten-tomatoes@1 (digest, validation, reference profile)"
status=$(curl -s -o "$LOGS/dataset.json" -w '%{http_code}' -H "$AUTH" -X POST "$API/api/v1/datasets" \
  -d "{\"name\": \"rotten-tomatoes\", \"version\": \"1\", \"path\": \"$DATA\"}")
case "$status" in
  201) note "registered: $("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["rows"], "rows,", d["label_counts"], "sha256", d["sha256"][:12])' "$LOGS/dataset.json")" ;;
  409) note "already registered" ;;
  *) echo "run: dataset registration failed ($status): $(cat "$LOGS/dataset.json")" >&2; exit 1 ;;
esac

step "training the small CPU model (tiny DistilBERT-shaped, ~1 minute) with the stock mlflow client"
SUMMARY=$(cd training && MLFLOW_TRACKING_URI="$API" MLFLOW_TRACKING_TOKEN="$TOKEN" \
  STEWARD_DATASET_URI="file://$DATA" STEWARD_DATASET_NAME=rotten-tomatoes STEWARD_DATASET_VERSION=1 \
  STEWARD_MODEL_NAME=sentiment STEWARD_BASE_MODEL=tiny STEWARD_ASSETS="$STATE/assets" STEWARD_PARAMS='{"epochs": 2}' \
  "$PY" -m steward_training.entrypoint 2>>"$LOGS/training.log" | tail -n 1)
VERSION=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["model_version"])' "$SUMMARY")
note "registered sentiment version $VERSION: $SUMMARY"

step "promoting sentiment version $VERSION: alias champion, stage Production"
curl -fsS -H "$AUTH" -X PUT "$API/api/v1/models/sentiment/aliases/champion" -d "{\"version\": $VERSION, \"promote\": true}" >/dev/null

step "starting steward-serve on $SERVE, following sentiment@champion (logs: .steward/logs/steward-serve.log)"
STEWARD_SERVE_PORT=7500 STEWARD_REGISTRY_URL="$API" STEWARD_REGISTRY_TOKEN_FILE="$TOKEN_FILE" STEWARD_MODEL_NAME=sentiment \
  STEWARD_MODEL_ALIAS=champion STEWARD_DATABASE_URL="$DB_URL" STEWARD_MODEL_CACHE="$STATE/serve-cache" \
  "$BIN/steward-serve" >>"$LOGS/steward-serve.log" 2>&1 &
PIDS+=($!)
wait_ready "$SERVE" steward-serve

step "real traffic: 200 critic snippets from the test split"
"$PY" - "$DATA/test.csv" "$SERVE" <<'PY'
import csv, json, sys, time, urllib.request
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))[:200]
right, started = 0, time.time()
for row in rows:
    request = urllib.request.Request(sys.argv[2] + "/predict", data=json.dumps({"text": row["text"]}).encode(),
                                     headers={"Content-Type": "application/json"})
    answer = json.load(urllib.request.urlopen(request))
    right += answer["label"] == row["label"]
print(f"    {len(rows)} predictions in {time.time() - started:.1f} s, {right / len(rows):.1%} correct; e.g. "
      f"{rows[0]['text'][:60]!r} -> {answer['label']} ({answer['confidence']:.2f}, version {answer['model']['version']})")
PY

step "summary"
note "stewardd      $API   (admin token in .steward/admin-token)"
note "steward-serve $SERVE (POST /predict, /metrics)"
note "mlflow client: MLFLOW_TRACKING_URI=$API MLFLOW_TRACKING_TOKEN=\$(cat .steward/admin-token)"
note "dataset rotten-tomatoes@1, model sentiment version $VERSION (champion, Production)"
if [ "$EXIT_AT_END" -eq 1 ]; then exit 0; fi
step "services are running; Ctrl-C stops them"
wait "${PIDS[@]}"
