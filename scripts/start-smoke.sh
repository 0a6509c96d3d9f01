#!/usr/bin/env bash
# CI's proof of the README's first command (.ci/run runs it before `npm test`): `npm start` from a fresh
# .local/ (its own, just-formatted broker) and a fresh database, every /readyz 200, one event emitted with
# the CLI and found by the search API, the console answering, then `npm stop` and no process or port of
# ours left. Times each step. Exits non-zero when any of it fails, after stopping whatever it started.
#
# Locally, beside a running stack: AUDIT_LOCAL_DIR=/tmp/smoke AUDIT_PORT_BASE=23000 KAFKA_PORT=29092 \
#   KAFKA_CONTROLLER_PORT=29093 OPENSEARCH_PORT=29200 bash scripts/start-smoke.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
set +e
KAFKA_PORT="${KAFKA_PORT:-9092}" KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}" OPENSEARCH_PORT="${OPENSEARCH_PORT:-9200}"
export KAFKA_PORT KAFKA_CONTROLLER_PORT OPENSEARCH_PORT
OUR_PORTS=("${SERVICE_PORT[@]}" "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" "$OPENSEARCH_PORT")
started=$SECONDS
failures=()
fail() { log "FAILED: $*"; failures+=("$*"); }
step_started=$SECONDS
step() { log "$1 ($((SECONDS - step_started)) s)"; step_started=$SECONDS; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# "From nothing" is the point: a .local/ with broker data or a saved key would prove a warm start.
if [ -d "$LOCAL_DIR/data" ] || [ -e "$LOCAL_DIR/demo-api-key" ]; then
  log "$LOCAL_DIR already holds broker data or a demo key; the smoke needs a fresh one (set AUDIT_LOCAL_DIR to an empty folder)"
  exit 1
fi
for port in "${OUR_PORTS[@]}"; do
  port_open "$port" && { log "port $port is taken before the start: another stack runs here (to move ours, see the top of scripts/start-smoke.sh)"; exit 1; }
done

# A database of its own too, recreated each run: the machine's `audit` database outlives .local/, and its
# stored Kafka positions (ledger.consumer_offsets) are ahead of a just-formatted broker's offsets, so the
# ledger would fence the new events as already consumed. DATABASE_URL given: used as it is.
smoke_db=""
if [ -z "${DATABASE_URL:-}" ]; then
  smoke_db="${SMOKE_DATABASE:-audit_start_smoke}"
  admin_url="postgres://postgres@127.0.0.1:5432/postgres"
  if psql -X -q -v ON_ERROR_STOP=1 -d "$admin_url" -c "DROP DATABASE IF EXISTS \"$smoke_db\" WITH (FORCE)" -c "CREATE DATABASE \"$smoke_db\"" >/dev/null; then
    export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$smoke_db"
    log "fresh database $smoke_db"
  else
    log "could not create database $smoke_db (is PostgreSQL up on 127.0.0.1:5432, user postgres?)"
    exit 1
  fi
fi

stopped=0
stop_all() {
  [ "$stopped" = 1 ] && return
  stopped=1
  # The pids npm start recorded (services and the launcher's JVMs), to check after the stop.
  pids=$(cat "$LOCAL_DIR"/run/*.pid 2>/dev/null | tr '\n' ' ')
  npm stop >"$LOCAL_DIR/smoke-stop.log" 2>&1 || fail "npm stop exited non-zero: $(tail -n 5 "$LOCAL_DIR/smoke-stop.log")"
}
trap stop_all EXIT

log "npm start from an empty ${LOCAL_DIR#$ROOT/}/"
mkdir -p "$LOCAL_DIR"
# Bounded: a start that hangs must fail this run, not use up CI's 90 minutes.
if ! timeout "${SMOKE_START_TIMEOUT_S:-900}" npm start >"$LOCAL_DIR/smoke-start.log" 2>&1; then
  fail "npm start exited non-zero or took longer than ${SMOKE_START_TIMEOUT_S:-900} s"
  tail -n 40 "$LOCAL_DIR/smoke-start.log"
fi
# npm start installed the project's Node into node_modules/.bin (first on PATH): forget any earlier lookup.
hash -r
step "npm start done"

if [ ${#failures[@]} = 0 ]; then
  for svc in "${SERVICES[@]}"; do
    url="http://127.0.0.1:${SERVICE_PORT[$svc]}${SERVICE_READY[$svc]}"
    code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$url")
    [ "$code" = 200 ] || fail "$svc: $url answered $code"
  done
  code=$(curl -s --max-time 10 -o "$LOCAL_DIR/smoke-console.html" -w '%{http_code}' "http://127.0.0.1:${SERVICE_PORT[console]}/")
  if [ "$code" != 200 ] || ! grep -qi '<html' "$LOCAL_DIR/smoke-console.html"; then
    fail "console: / answered $code without a page"
  fi
  step "every service ready, the console serves its page"

  change="SMOKE-$(date +%s)-$RANDOM"
  event=$(printf '{"type":"change.requested","occurredAt":"%s","actor":{"id":"start-smoke","type":"pipeline"},"resource":{"kind":"k8s.deployment","id":"smoke/api","environment":"dev"},"changeId":"%s","reason":"CI start smoke","source":{"system":"start-smoke"}}' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$change")
  if ! AUDIT_LEDGER_URL="http://127.0.0.1:${SERVICE_PORT[ingest]}" AUDIT_LEDGER_API_KEY="$(cat "$LOCAL_DIR/demo-api-key")" \
    npx audit-ledger emit "$event" >"$LOCAL_DIR/smoke-emit.log" 2>&1; then
    fail "audit-ledger emit: $(head -c 600 "$LOCAL_DIR/smoke-emit.log")"
  else
    token=$(node -r @swc-node/register tools/dev-token.ts --tenant demo --role auditor --sub start-smoke)
    total=0
    for _ in $(seq 1 60); do
      total=$(curl -s --max-time 5 -H "Authorization: Bearer $token" "http://127.0.0.1:${SERVICE_PORT[query]}/v1/search?q=change:$change" |
        node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).total.value)}catch{console.log(0)}})')
      [ "${total:-0}" -ge 1 ] && break
      sleep 1
    done
    [ "${total:-0}" = 1 ] || fail "the emitted event of change $change: search found ${total:-0}, wanted 1"
  fi
  step "one event emitted with the CLI and found by search"
fi

stop_all
# What stop.sh may take for a JVM to exit (it waits for them), then nothing of ours may remain.
for pid in $pids; do
  kill -0 "$pid" 2>/dev/null && fail "pid $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | head -c 120)) still runs after npm stop"
done
for port in "${OUR_PORTS[@]}"; do
  port_open "$port" && fail "port $port still answers after npm stop"
done
step "npm stop left no process or port of ours"

[ -z "$smoke_db" ] || psql -X -q -d "postgres://postgres@127.0.0.1:5432/postgres" -c "DROP DATABASE IF EXISTS \"$smoke_db\" WITH (FORCE)" >/dev/null ||
  log "could not drop database $smoke_db (harmless: the next run recreates it)"

if [ ${#failures[@]} != 0 ]; then
  log "start smoke FAILED after $((SECONDS - started)) s (${#failures[@]} problem(s); logs in ${LOCAL_DIR#$ROOT/}/logs)"
  exit 1
fi
log "start smoke passed in $((SECONDS - started)) s"
