#!/usr/bin/env bash
# A local PostgreSQL cluster for the embedded mode and the tests, under .steward/.
#
#   scripts/pg.sh start [--test]    create (first time) and start; safe to call twice
#   scripts/pg.sh stop [--test]     stop; safe when not running
#   scripts/pg.sh status [--test]   exit 0 when running
#   scripts/pg.sh url [--test]      print the connection URL
#   --dir DIR --port PORT           another cluster (tests that restart a server use this)
#
# The embedded cluster lives in .steward/pg (port $STEWARD_PG_PORT, default 54329);
# the test cluster in .steward/pg-test (port $STEWARD_TEST_PG_PORT, default 54339),
# tuned for speed over durability. Both listen on a socket in their folder and on
# 127.0.0.1 only, with trust authentication for local connections.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command=${1:-}
shift || true
test_cluster=0; custom_dir=""; custom_port=""
while [ $# -gt 0 ]; do
  case "$1" in
    --test) test_cluster=1 ;;
    --dir) custom_dir=$2; shift ;;
    --port) custom_port=$2; shift ;;
    *) echo "pg.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

if [ "$test_cluster" -eq 1 ]; then
  DIR="$ROOT/.steward/pg-test"; PORT=${STEWARD_TEST_PG_PORT:-54339}
  EXTRA="-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400"
else
  DIR="$ROOT/.steward/pg"; PORT=${STEWARD_PG_PORT:-54329}
  EXTRA="-c max_connections=200"
fi
if [ -n "$custom_dir" ]; then DIR=$custom_dir; fi
if [ -n "$custom_port" ]; then PORT=$custom_port; fi
DATA="$DIR/data"; SOCK="$DIR/socket"; LOG="$DIR/postgres.log"
URL="postgresql://steward@127.0.0.1:$PORT/steward"

bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  [ -x "$dir/pg_ctl" ] || { echo "pg.sh: PostgreSQL server binaries not found; run scripts/setup.sh" >&2; exit 1; }
  echo "$dir"
}

# initdb and postgres refuse to run as root: run them as the postgres user then.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then (cd /tmp && runuser -u postgres -- "$@"); else "$@"; fi
}

is_running() { [ -f "$DATA/PG_VERSION" ] && as_pg "$(bindir)/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

start() {
  local bin; bin=$(bindir)
  mkdir -p "$DIR"
  if [ ! -f "$DATA/PG_VERSION" ]; then
    echo "pg.sh: creating a cluster in ${DIR#$ROOT/}"
    mkdir -p "$DATA" "$SOCK"
    [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$DIR"
    as_pg "$bin/initdb" -D "$DATA" -U steward --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if is_running; then echo "pg.sh: running on port $PORT"; return; fi
  as_pg "$bin/pg_ctl" -D "$DATA" -l "$LOG" -w -t 30 \
    -o "-k $SOCK -p $PORT -c listen_addresses=127.0.0.1 $EXTRA" start >/dev/null \
    || { echo "pg.sh: PostgreSQL did not start; see $LOG" >&2; tail -n 20 "$LOG" >&2; exit 1; }
  if ! "$bin/psql" -X -q -h 127.0.0.1 -p "$PORT" -U steward -d postgres -tAc \
       "SELECT 1 FROM pg_database WHERE datname = 'steward'" | grep -q 1; then
    "$bin/psql" -X -q -h 127.0.0.1 -p "$PORT" -U steward -d postgres -c "CREATE DATABASE steward" >/dev/null
  fi
  echo "pg.sh: running on port $PORT"
}

stop() {
  if is_running; then
    as_pg "$(bindir)/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    echo "pg.sh: stopped"
  fi
}

case "$command" in
  start) start ;;
  stop) stop ;;
  status) is_running ;;
  url) echo "$URL" ;;
  *) sed -n '2,13p' "$0" >&2; exit 2 ;;
esac
