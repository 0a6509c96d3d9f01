# Shared helpers for the start/test/stop scripts. Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL_DIR="${AUDIT_LOCAL_DIR:-$ROOT/.local}"
SERVICES=(ingest approval-policy ledger query)
declare -A SERVICE_PORT=([ingest]=3001 [approval-policy]=3002 [ledger]=3003 [query]=3004)
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
