#!/usr/bin/env bash
# Brings Steward up on the embedded default and walks the whole loop, narrated:
# the bundled dataset registered, a small CPU training run through the
# orchestrator, the promotion policy's verdict, two steward-serve processes
# (stable and canary) behind stewardd's traffic split, real traffic with true
# labels fed back, injected drift, the drift alert, one retrain on a dataset version
# Steward registers from the baseline and the episode's labelled texts, the retrained
# version's verdict, a canary rollout step by step with its analysis, the promotion,
# and the drift alert resolving once the retrained version serves: the episode, told
# from start to end. With --bad-canary, two broken versions are then pushed into canaries
# by hand and rolled back by the analysis: an untrained one (on confidence PSI),
# one that fails on long texts (on its measured error rate), and one with its label
# map reversed (on ground truth alone). Services stay up for stewardctl
# until Ctrl-C (or --exit). With STEWARD_BIN_DIR set, the binaries there are used and nothing
# is built.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
EXIT_AT_END=0
BAD_CANARY=0
for arg in "$@"; do
  case "$arg" in
    --exit) EXIT_AT_END=1 ;;
    --bad-canary) BAD_CANARY=1 ;;
    *) echo "run: unknown option $arg (known: --exit, --bad-canary)" >&2; exit 2 ;;
  esac
done

STATE="$ROOT/.steward"
LOGS="$STATE/logs"
DEMO="$STATE/demo"
PY="$STATE/venv/bin/python"
API=http://127.0.0.1:7400
FRONT=http://127.0.0.1:7500
MODEL=sentiment
STARTED=$SECONDS
step() { printf '\n==> [%s] %s\n' "$(clock)" "$*"; }
note() { printf '    %s\n' "$*"; }
clock() { printf '%d:%02d' $(((SECONDS - STARTED) / 60)) $(((SECONDS - STARTED) % 60)); }
die() { echo "run: $*" >&2; exit 1; }

bash scripts/setup.sh --run
if [ -n "${STEWARD_BIN_DIR:-}" ]; then
  BIN=$(cd "$STEWARD_BIN_DIR" && pwd)
  step "using the binaries in $BIN (STEWARD_BIN_DIR)"
  for b in stewardd steward-serve stewardctl; do [ -x "$BIN/$b" ] || die "$BIN/$b not found (STEWARD_BIN_DIR)"; done
else
  step "building Steward (debug)"
  swift build --product stewardd >/dev/null && swift build --product steward-serve >/dev/null && swift build --product stewardctl >/dev/null
  BIN=$(swift build --show-bin-path)
fi

mkdir -p "$LOGS"
step "starting the embedded PostgreSQL (.steward/pg)"
bash scripts/pg.sh start
# The demo's own database and artifact root, made afresh on every run, so it
# always tells the same story and never touches the default `steward` database.
BASE_URL=$(bash scripts/pg.sh url)
psql "$BASE_URL" -XAtq -c "DROP DATABASE IF EXISTS steward_demo WITH (FORCE)" -c "CREATE DATABASE steward_demo"
DB_URL=${BASE_URL%/*}/steward_demo
rm -rf "$DEMO" && mkdir -p "$DEMO"
note "database steward_demo (made afresh), artifacts in .steward/demo"

TOKEN_FILE="$STATE/admin-token"
if [ ! -s "$TOKEN_FILE" ]; then
  (umask 077; "$PY" -c 'import secrets; print("stw_" + secrets.token_hex(24))' > "$TOKEN_FILE")
fi
export STEWARD_URL=$API STEWARD_TOKEN_FILE=$TOKEN_FILE
AUTH="Authorization: Bearer $(cat "$TOKEN_FILE")"
api() { local path=$1; shift; curl -sS -H "$AUTH" "$@" "$API$path"; }
ctl() { "$BIN/stewardctl" "$@"; }

PIDS=()
cleanup() {
  rm -f "$DEMO/traffic"
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  bash scripts/pg.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_ready() {
  for _ in $(seq 1 300); do
    if curl -fsS "$1" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  die "$2 did not become ready; see $LOGS/$2.log"
}

# wait_until DESCRIPTION TIMEOUT_SECONDS COMMAND...: polls every 2 s, with a progress line every 20 s.
wait_until() {
  local what=$1 limit=$2; shift 2
  local began=$SECONDS last=$SECONDS
  until "$@"; do
    if ((SECONDS - began > limit)); then die "gave up waiting for $what after ${limit}s (logs: $LOGS)"; fi
    if ((SECONDS - last >= 20)); then note "... still waiting for $what ($((SECONDS - began))s)"; last=$SECONDS; fi
    sleep 2
  done
}

# Demo timings: 15 s drift windows (2 over the threshold queue a retrain, once 400
# texts of the episode are labelled) and 30 s analysis pauses, where production
# would use minutes. The rollout analysis keeps its default limits, and judges
# ground truth too: the labels the traffic posts back for half the predictions.
step "starting stewardd on $API, traffic split on $FRONT (logs: .steward/logs/stewardd.log)"
: > "$LOGS/stewardd.log"
STEWARD_DATABASE_URL="$DB_URL" STEWARD_HTTP_PORT=7400 STEWARD_ARTIFACT_ROOT="$DEMO/artifacts" \
  STEWARD_BOOTSTRAP_TOKEN_FILE="$TOKEN_FILE" STEWARD_VOCAB_PATH="$STATE/assets/minilm/vocab.txt" \
  STEWARD_DATASET_ROOTS="$STATE/data" STEWARD_ASSETS="$STATE/assets" STEWARD_TRAINING_LOGS="$DEMO/runs" \
  STEWARD_SPLIT_PORT=7500 STEWARD_SPLIT_MODEL=$MODEL \
  STEWARD_SPLIT_STABLE_URL=http://127.0.0.1:7501 STEWARD_SPLIT_CANARY_URL=http://127.0.0.1:7502 \
  STEWARD_DRIFT_WINDOW_SECONDS=15 STEWARD_DRIFT_WINDOWS=2 STEWARD_RETRAIN_INTERVAL_SECONDS=3 \
  STEWARD_RETRAIN_MIN_FEEDBACK=400 \
  STEWARD_ROLLOUT_STEPS='[{"weight": 25}, {"analysis_seconds": 30}, {"weight": 50}, {"analysis_seconds": 30}, {"weight": 100}]' \
  STEWARD_ROLLOUT_ANALYSIS='{"min_requests": 40, "min_predictions": 40, "ground_truth": {"min_labelled": 30, "label_delay_seconds": 2}}' \
  "$BIN/stewardd" >>"$LOGS/stewardd.log" 2>&1 &
PIDS+=($!)
wait_ready "$API/ready" stewardd
note "web console: $API/ (sign in with the admin token in .steward/admin-token); the rollouts below can be watched"
note "live at $API/models/$MODEL/rollout"

DATA="$STATE/data/rotten-tomatoes/1"
TWEETS="$STATE/data/tweets"
step "building the bundled data: Rotten Tomatoes critic snippets (baseline) and tweets (the shifted domain)"
[ -f "$DATA/manifest.json" ] || (cd training && "$PY" -m steward_training.data build --out "$DATA" >/dev/null)
[ -f "$TWEETS/manifest.json" ] || (cd training && "$PY" -m steward_training.data tweets --out "$TWEETS" >/dev/null)
step "registering dataset rotten-tomatoes@1 (digest, validation, reference profile)"
status=$(api /api/v1/datasets -o "$DEMO/dataset.json" -w '%{http_code}' -X POST \
  -d "{\"name\": \"rotten-tomatoes\", \"version\": \"1\", \"path\": \"$DATA\"}")
case "$status" in
  201) note "registered: $(jq -r '"\(.rows) rows, labels \(.label_counts | tostring), sha256 \(.sha256[:12])"' "$DEMO/dataset.json")" ;;
  409) note "already registered" ;;
  *) die "dataset registration failed ($status): $(cat "$DEMO/dataset.json")" ;;
esac

POLICY='accuracy >= 0.65 and f1 >= 0.6'
step "model $MODEL with promotion policy: $POLICY"
api /api/v1/models -o /dev/null -X POST -d "{\"name\": \"$MODEL\"}"
ctl policy set $MODEL "$POLICY"
api "/api/v1/alert-rules/input-drift" -o /dev/null -X PUT \
  -d "{\"metric\": \"input_psi\", \"model\": \"$MODEL\", \"threshold\": 0.25, \"for_seconds\": 0, \"resolve_after_seconds\": 30}"
note "alert rule input-drift: input PSI > 0.25 fires; 30 s back under it resolves"

run_field() { api "/api/v1/runs/$1" | jq -r "$2"; }
run_done() { case "$(run_field "$1" .status)" in FINISHED|FAILED|KILLED) return 0 ;; *) return 1 ;; esac; }
# follow_run RUN: waits for the run to end, printing its status changes and the trainer's progress.
follow_run() {
  local run=$1 seen="" status line began=$SECONDS last=0
  while true; do
    status=$(run_field "$run" .status)
    [ "$status" = "$seen" ] || { note "run ${run:0:8}: $status"; seen=$status; }
    case "$status" in FINISHED) return 0 ;; FAILED|KILLED) die "run $run ended $status: $(run_field "$run" .failure_reason)" ;; esac
    if ((SECONDS - last >= 20)) && [ "$status" = RUNNING ]; then
      line=$(ctl runs logs "$run" --tail 40 2>/dev/null | grep -o '"event": *"[a-z_]*"[^}]*' | tail -n 1 || true)
      [ -z "$line" ] || note "  trainer: ${line:0:110}"
      last=$SECONDS
    fi
    ((SECONDS - began < 900)) || die "run $run did not end within 15 minutes"
    sleep 2
  done
}
version_of_run() { run_field "$1" '.tags["steward.model_version"] // empty'; }
decided() { api "/api/v1/models/$MODEL/versions/$1/decision" -f -o /dev/null 2>/dev/null; }
verdict() {
  wait_until "the policy verdict for version $1" 60 decided "$1"
  api "/api/v1/models/$MODEL/versions/$1/decision" |
    jq -r '"verdict for version \(.version): \(if .passed then "PASS" else "FAIL" end) — " + ([.clauses[] | "\(.clause) (\(.left // "?" | tostring | .[0:6]) vs \(.right // "?" | tostring | .[0:6])): \(if .passed then "ok" else "FAILS" end)"] | join("; "))'
}

step "training version 1: a small CPU model (tiny DistilBERT-shaped) through the orchestrator's local executor"
RUN1=$(api /api/v1/runs -X POST -d "{\"model\": \"$MODEL\", \"dataset\": \"rotten-tomatoes@1\", \"base_model\": \"tiny\", \"params\": {\"epochs\": 2}}" | jq -r .run_id)
[ "$RUN1" != null ] || die "the run was not accepted"
follow_run "$RUN1"
V1=$(version_of_run "$RUN1")
note "$(verdict "$V1")"
note "no Production version yet, so nothing to canary against: promoting version $V1 directly"
ctl versions promote $MODEL "$V1"

step "serving: stable track on :7501 (alias champion), canary track on :7502 (alias challenger), split on :7500"
serve() {
  STEWARD_SERVE_PORT=$1 STEWARD_SERVE_TRACK=$2 STEWARD_MODEL_ALIAS=$3 STEWARD_REGISTRY_URL="$API" STEWARD_REGISTRY_TOKEN_FILE="$TOKEN_FILE" \
    STEWARD_MODEL_NAME=$MODEL STEWARD_MODEL_POLL_SECONDS=1 STEWARD_DATABASE_URL="$DB_URL" STEWARD_MODEL_CACHE="$DEMO/serve-cache-$2" \
    "$BIN/steward-serve" >"$LOGS/steward-serve-$2.log" 2>&1 &
  PIDS+=($!)
}
serve 7501 stable champion
serve 7502 canary challenger
wait_ready http://127.0.0.1:7501/ready steward-serve-stable
wait_ready "$FRONT/health" stewardd
note "stable serves version $(curl -fsS http://127.0.0.1:7501/ready | jq -r .version); the canary waits for a rollout"

step "real traffic through the split: 25 requests/s of critic snippets (the test split), half of them labelled back as feedback"
echo critics > "$DEMO/traffic"
(cd training && STEWARD_TOKEN=$(cat "$TOKEN_FILE") "$PY" -m steward_training.traffic --url "$FRONT" --api "$API" --model $MODEL \
  --source "critics=$DATA/test.csv" --source "tweets=$TWEETS/tweets.csv" --control "$DEMO/traffic" --tally "$DEMO/tally.json" --rate 25 \
  >"$LOGS/traffic.log" 2>&1) &
TRAFFIC=$!
PIDS+=($TRAFFIC)
drift_of() {  # the monitor's stored windows of version $1 on the stable track (what `stewardctl drift` shows)
  api "/api/v1/models/$MODEL/drift?limit=400" | jq --arg v "$1" '[.items[] | select(.version == $v and .track == "stable")]'
}
worst_psi() {  # the largest feature PSI of the newest of them
  drift_of "$1" | jq -r '(map(.window_start) | max) as $newest | map(select(.window_start == $newest)) | max_by(.psi)
                         | "\(.feature) \(.psi * 1000 | round / 1000)"'
}
windows_of() { drift_of "$1" | jq 'map(.window_start) | unique | length'; }
two_windows() { [ "$(windows_of "$V1")" -ge 2 ]; }
wait_until "two drift windows of in-distribution traffic" 120 two_windows
note "drift windows stored (steward.drift_windows: Grafana, stewardctl drift $MODEL); newest window's largest PSI: $(worst_psi "$V1") (threshold 0.25)"
note "live accuracy from feedback: $(api "/api/v1/models/$MODEL/accuracy" | jq -r '[.items[] | "version \(.version) \(.accuracy * 1000 | round / 10)% of \(.labelled)"] | join(", ")')"

step "injecting drift: the traffic switches to tweets (shorter, @mentions, slang) with their true labels"
echo tweets > "$DEMO/traffic"
alert_open() { [ "$(api /api/v1/alerts | jq '[.items[] | select(.rule == "input-drift" and .ended_at == null)] | length')" -gt 0 ]; }
wait_until "the drift alert" 180 alert_open
ALERT_FIRED=$(api /api/v1/alerts | jq -r '[.items[] | select(.rule == "input-drift" and .ended_at == null)][0].started_at')
note "ALERT input-drift firing: $(api /api/v1/alerts | jq -r '[.items[] | select(.rule == "input-drift" and .ended_at == null)][0] | "value \(.value | tostring | .[0:5]) > \(.threshold) since \(.started_at)"')"
note "newest window's largest PSI: $(worst_psi "$V1")"
note "the retrainer waits for 400 labelled texts of the shifted traffic (labels from before the shift would blend its reference)"
retrain_run() {  # the newest run the drift retrainer queued (it tags its runs steward.reason "drift: ...")
  api /api/v1/runs --get --data-urlencode limit=1 \
    --data-urlencode "filter=tags.\`steward.model_name\` = '$MODEL' and tags.\`steward.reason\` LIKE 'drift%'" |
    jq -r '.items[0].id // empty'
}
retrain_queued() { [ -n "$(retrain_run)" ]; }
wait_until "the drift retrain to be queued" 180 retrain_queued
RUN2=$(retrain_run)
PSI_BEFORE=$(worst_psi "$V1")
RETRAIN_QUEUED=$(api "/api/v1/runs/$RUN2/events" | jq -r '.items[0].at')
DATASET2=$(run_field "$RUN2" '.tags["steward.dataset"]')
note "retrain queued: run ${RUN2:0:8}, reason: $(run_field "$RUN2" '.tags["steward.reason"]')"
note "it trains on $DATASET2, a dataset version Steward registered for it, warm-started from version $V1 (stewardctl datasets show $DATASET2):"
ctl datasets show "$DATASET2" | sed -n '/^sources/,$p' | sed 's/^/      /'

step "retraining (version 2) while traffic keeps flowing"
follow_run "$RUN2"
V2=$(version_of_run "$RUN2")
note "$(verdict "$V2")"

rollout_field() { api "/api/v1/rollouts/$MODEL" | jq -r "$1"; }
# follow_rollout: prints each new rollout event until the rollout ends; echoes the final phase. The
# API returns a model's latest rollout only, so each one is kept as it ended (rollout-ID.json) for the summary.
follow_rollout() {
  local shown=0 count phase began=$SECONDS
  while true; do
    api "/api/v1/rollouts/$MODEL" > "$DEMO/rollout.json"
    count=$(jq '.events | length' "$DEMO/rollout.json")
    if ((count > shown)); then
      jq -r --argjson from "$shown" '.events[$from:][] | "    rollout: step \(.step) weight \(.weight)% \(.kind): \(.detail)"' "$DEMO/rollout.json" >&2
      shown=$count
    fi
    phase=$(jq -r .phase "$DEMO/rollout.json")
    case "$phase" in Promoted|Aborted|Paused) cp "$DEMO/rollout.json" "$DEMO/rollout-$(jq -r .id "$DEMO/rollout.json").json" ;; esac
    case "$phase" in Promoted|Aborted) echo "$phase"; return 0 ;; Paused) note "rollout paused: $(jq -r .reason "$DEMO/rollout.json")" >&2; echo Paused; return 0 ;; esac
    ((SECONDS - began < 600)) || die "the rollout did not end within 10 minutes"
    sleep 1
  done
}
if [ "$(rollout_field '.canary_version // empty' 2>/dev/null)" = "$V2" ]; then
  step "canary rollout of version $V2 against version $V1 (25% -> analysis -> 50% -> analysis -> 100%)"
  note "split: $(curl -fsS "$FRONT/split" | jq -c .)"
  OUTCOME=$(follow_rollout)
  note "rollout of version $V2: $OUTCOME"
  if [ "$OUTCOME" = Promoted ]; then
    PROMOTED_AT=$(jq -r '.events[-1].at' "$DEMO/rollout.json")
    step "version $V2 serves the tweets; its drift reference is what it was retrained for ($DATASET2's production split)"
    alert_resolved() { [ "$(api /api/v1/alerts | jq '[.items[] | select(.rule == "input-drift" and .ended_at == null)] | length')" -eq 0 ]; }
    wait_until "the drift alert to resolve" 180 alert_resolved
    PSI_AFTER=$(worst_psi "$V2")
    note "the drift episode, from start to end:"
    note "  alert fired     $ALERT_FIRED (version $V1; largest PSI when the retrain was queued: $PSI_BEFORE)"
    note "  retrain queued  $RETRAIN_QUEUED (run ${RUN2:0:8} on $DATASET2)"
    note "  promoted        $PROMOTED_AT (version $V2, through 25/50/100 % with the default analysis limits)"
    api /api/v1/alerts | jq -r '[.items[] | select(.rule == "input-drift")][0]
      | "      alert resolved  \(.ended_at) (value \(.resolved_value | tostring | .[0:5]) under \(.threshold))"'
    note "  newest window's largest PSI now: $PSI_AFTER (version $V2)"
  fi
else
  note "version $V2 did not pass the policy: no rollout; version $V1 keeps serving"
fi

if [ "$BAD_CANARY" -eq 1 ]; then
  STABLE_DATA=$(api "/api/v1/models/$MODEL/versions/$(curl -fsS http://127.0.0.1:7501/ready | jq -r .version)" | jq -r .dataset)
  step "--bad-canary: training a broken version (learning rate 1e-9: an untrained model) on $STABLE_DATA, the data stable was trained on, and pushing it into a canary by hand"
  note "(trained on the same data, its confidence is compared with stable's on the same traffic)"
  RUN3=$(api /api/v1/runs -X POST -d "{\"model\": \"$MODEL\", \"dataset\": \"$STABLE_DATA\", \"base_model\": \"tiny\", \"params\": {\"epochs\": 1, \"learning_rate\": 1e-9, \"max_train_rows\": 256}}" | jq -r .run_id)
  follow_run "$RUN3"
  V3=$(version_of_run "$RUN3")
  note "$(verdict "$V3")"
  note "an operator overrides the policy: stewardctl rollout start $MODEL $V3"
  ctl rollout start $MODEL "$V3" >/dev/null
  OUTCOME3=$(follow_rollout)
  note "rollout of version $V3: $OUTCOME3 (reason: $(rollout_field .reason))"

  # push_faulty KIND ARGS...: version $V2's files as serving fetches them, made faulty by the tests' own
  # fixture maker, logged as a new run's model, registered and pushed into a canary by an operator.
  GOOD="$DEMO/v$V2-model"
  mkdir -p "$GOOD"
  api "/api/v1/models/$MODEL/versions/$V2/files" | jq -r '.files[] | "\(.path) \(.url)"' | while read -r path url; do
    mkdir -p "$GOOD/$(dirname "$path")" && api "$url" -f -o "$GOOD/$path"
  done
  push_faulty() {
    local kind=$1 faulty="$DEMO/v$V2-$1" run version outcome
    shift
    "$PY" tests/fixtures/make_faulty_models.py --from "$GOOD" --out "$faulty" --kind "$kind" "$@" >/dev/null
    run=$(api /api/2.0/mlflow/runs/create -X POST -d "{\"experiment_id\": \"0\", \"run_name\": \"faulty-$kind\"}" | jq -r .run.info.run_id)
    for file in "$faulty"/*; do
      api "/api/2.0/mlflow-artifacts/artifacts/0/$run/artifacts/model/$(basename "$file")" -f -o /dev/null -X PUT --data-binary "@$file"
    done
    version=$(api /api/2.0/mlflow/model-versions/create -X POST \
      -d "{\"name\": \"$MODEL\", \"source\": \"mlflow-artifacts:/0/$run/artifacts/model\", \"run_id\": \"$run\"}" | jq -r .model_version.version)
    note "registered it as version $version; an operator pushes it: stewardctl rollout start $MODEL $version"
    ctl rollout start $MODEL "$version" >/dev/null
    outcome=$(follow_rollout)
    note "rollout of version $version: $outcome (reason: $(rollout_field .reason))"
  }
  step "--bad-canary, second: version $V2's model with a position table cut to 20 (it fails on every text past 20 word pieces), pushed into a canary"
  push_faulty short-positions --positions 20
  step "--bad-canary, third: version $V2's model with its label map reversed (an export bug: as fast and as sure as version $V2, wrong on every text)"
  note "error rate, latency, input and confidence PSI cannot tell it from version $V2; the true labels posted back for its predictions can (analysis ground_truth)"
  push_faulty flipped-labels
  note "serving history (stewardctl history $MODEL):"
  ctl history $MODEL | sed 's/^/      /'
fi

step "summary ($(clock) since start)"
rm -f "$DEMO/traffic"
wait "$TRAFFIC" 2>/dev/null || true
note "versions:"
ctl versions list $MODEL | sed 's/^/      /'
note "promotion decisions:"
for v in $(api "/api/v1/models/$MODEL/versions?limit=100" | jq -r '.items[].version'); do
  if decided "$v"; then note "  $(verdict "$v")"; fi
done
note "rollout decisions:"
if compgen -G "$DEMO/rollout-*.json" >/dev/null; then
  jq -rs 'sort_by(.id)[] | select(.events | length > 0)
          | "      rollout \(.id) (canary \(.canary_version)): \([.events[] | "\(.kind) \(.weight)%"] | join(" -> ")) => \(.phase)"' \
    "$DEMO"/rollout-*.json
fi
note "live accuracy from feedback (true labels posted back for half the predictions):"
api "/api/v1/models/$MODEL/accuracy" | jq -r '.items[] | "      version \(.version): \(.accuracy * 1000 | round / 10)% of \(.labelled) labelled predictions"'
note "alerts (one drift episode: fired on the shift, resolved once the retrained version served it):"
api /api/v1/alerts | jq -r '.items[] | "      \(.rule): value \(.value | tostring | .[0:5]) from \(.started_at) \(if .ended_at then "to \(.ended_at) (resolved at \(.resolved_value | tostring | .[0:5]))" else "(firing)" end)"'
note "traffic through the split (source, track, version, status: requests):"
jq -r '.[] | "      \(.source) \(.track) v\(.version) \(.status): \(.requests)"' "$DEMO/tally.json"
note ""
note "stewardd $API (admin token in .steward/admin-token), traffic split $FRONT (POST /predict, GET /split)"
note "web console: $API/ (sign in with the token in .steward/admin-token; rollouts at $API/models/$MODEL/rollout)"
note "stewardctl: export STEWARD_URL=$API STEWARD_TOKEN_FILE=.steward/admin-token; $BIN/stewardctl rollout status $MODEL"
note "mlflow client: MLFLOW_TRACKING_URI=$API MLFLOW_TRACKING_TOKEN=\$(cat .steward/admin-token)"
if [ "$EXIT_AT_END" -eq 1 ]; then exit 0; fi
step "services are running; Ctrl-C stops them"
wait "${PIDS[@]}"
