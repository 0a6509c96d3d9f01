# Shared helpers for the start/test/stop scripts. Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL_DIR="${AUDIT_LOCAL_DIR:-$ROOT/.local}"
SERVICES=(ingest approval-policy ledger query console)
declare -A SERVICE_PORT=([ingest]=3001 [approval-policy]=3002 [ledger]=3003 [query]=3004 [console]=3005)
# How each is started: the console serves a built bundle from its own small server.
declare -A SERVICE_MAIN=([ingest]=apps/ingest/src/main.ts [approval-policy]=apps/approval-policy/src/main.ts
  [ledger]=apps/ledger/src/main.ts [query]=apps/query/src/main.ts [console]=apps/console/server/main.ts)
declare -A SERVICE_READY=([ingest]=/readyz [approval-policy]=/readyz [ledger]=/readyz [query]=/readyz [console]=/healthz)
export NX_DAEMON=false NX_NO_CLOUD=true

log() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*"; }

# Installs npm packages when node_modules is missing or older than the lockfile.
ensure_packages() {
  if [ ! -f "$ROOT/node_modules/.package-lock.json" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    log "installing npm packages (npm ci)"
    (cd "$ROOT" && npm ci --no-audit --no-fund)
  fi
}

infra_running() {
  node "$ROOT/deploy/local/infra.mjs" status 2>/dev/null | grep -Eq '^kafka +running' &&
    node "$ROOT/deploy/local/infra.mjs" status 2>/dev/null | grep -Eq '^opensearch +running'
}
