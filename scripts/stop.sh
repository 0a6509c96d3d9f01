#!/usr/bin/env bash
# `npm stop`: stops the four services started by `npm start`, then the infrastructure the launcher started.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
for svc in "${SERVICES[@]}"; do
  pidfile="$LOCAL_DIR/run/$svc.pid"
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    log "stopped $svc (pid $pid)"
  fi
  rm -f "$pidfile"
done
[ "${INFRA_EXTERNAL:-0}" = "1" ] || node deploy/local/infra.mjs down
