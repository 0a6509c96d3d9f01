#!/usr/bin/env bash
# `npm start`: installs what is missing, brings up Kafka/Postgres/OpenSearch, applies migrations, starts the
# four services in the background, waits until each is ready, loads demo data, and prints the URLs.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_packages
require_node
[ "${INFRA_EXTERNAL:-0}" = "1" ] || node deploy/local/infra.mjs up
if [ -f "$LOCAL_DIR/infra.env" ] && [ "${INFRA_EXTERNAL:-0}" != "1" ]; then
  set -a; source "$LOCAL_DIR/infra.env"; set +a
fi
export DATABASE_URL KAFKA_BROKERS OPENSEARCH_URL

# The service credential the four services share (README, "Service credential"): generated once per
# checkout into .local (never committed), unless the environment already gives one.
secret_file="$LOCAL_DIR/service-credential.secret"
if [ -z "${SERVICE_CREDENTIAL_SECRET:-}" ]; then
  mkdir -p "$LOCAL_DIR"
  [ -s "$secret_file" ] || (umask 077; node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64url"))' >"$secret_file")
  SERVICE_CREDENTIAL_SECRET="$(cat "$secret_file")"
fi
export SERVICE_CREDENTIAL_SECRET

log "applying migrations"
node -r @swc-node/register tools/migrate.ts

log "building the web console"
npx vite build --config apps/console/vite.config.mjs --logLevel warn

mkdir -p "$LOCAL_DIR/run" "$LOCAL_DIR/logs"
# Where query and the console find the ledger and query (their defaults are the default ports).
export LEDGER_PUBLIC_URL="${LEDGER_PUBLIC_URL:-http://127.0.0.1:${SERVICE_PORT[ledger]}}" QUERY_PUBLIC_URL="${QUERY_PUBLIC_URL:-http://127.0.0.1:${SERVICE_PORT[query]}}"
export LEDGER_URL="${LEDGER_URL:-http://127.0.0.1:${SERVICE_PORT[ledger]}}" QUERY_URL="${QUERY_URL:-http://127.0.0.1:${SERVICE_PORT[query]}}"
for svc in "${SERVICES[@]}"; do
  pidfile="$LOCAL_DIR/run/$svc.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    log "$svc already running (pid $(cat "$pidfile"))"
    continue
  fi
  PORT="${SERVICE_PORT[$svc]}" setsid node -r @swc-node/register "${SERVICE_MAIN[$svc]}" >>"$LOCAL_DIR/logs/$svc.log" 2>&1 < /dev/null &
  echo $! >"$pidfile"
  log "started $svc (pid $!, log ${LOCAL_DIR#$ROOT/}/logs/$svc.log)"
done

deadline=$((SECONDS + ${START_TIMEOUT_S:-120}))
for svc in "${SERVICES[@]}"; do
  url="http://127.0.0.1:${SERVICE_PORT[$svc]}${SERVICE_READY[$svc]}"
  until curl -fsS --max-time 5 "$url" >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$LOCAL_DIR/run/$svc.pid")" 2>/dev/null; then
      log "$svc exited; last lines of its log:"; tail -n 20 "$LOCAL_DIR/logs/$svc.log"; exit 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      log "$svc not ready after ${START_TIMEOUT_S:-120}s: $(curl -sS --max-time 5 "$url" 2>&1 | head -c 400)"
      log "last lines of its log:"; tail -n 20 "$LOCAL_DIR/logs/$svc.log"; exit 1
    fi
    sleep 1
  done
done

log "loading demo data"
bash scripts/demo-data.sh

echo
echo "Audit ledger is up:"
for svc in ingest approval-policy ledger query; do printf '  %-16s http://127.0.0.1:%s  (/readyz, /metrics)\n' "$svc" "${SERVICE_PORT[$svc]}"; done
printf '  %-16s http://127.0.0.1:%s/  (development login: tenant demo, any role)\n' console "${SERVICE_PORT[console]}"
[ -f "$LOCAL_DIR/demo.env" ] && { echo; cat "$LOCAL_DIR/demo.env"; }
echo
echo "Stop everything with: npm stop"
