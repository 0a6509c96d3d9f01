# Shared helpers for the start/test/stop scripts. Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL_DIR="${AUDIT_LOCAL_DIR:-$ROOT/.local}"
SERVICES=(ingest approval-policy ledger query console)
# AUDIT_PORT_BASE moves all five (3001-3005 by default), so a second stack (the start smoke tried beside a
# running one) fits on one machine; with KAFKA_PORT, OPENSEARCH_PORT and AUDIT_LOCAL_DIR for the infrastructure.
PORT_BASE="${AUDIT_PORT_BASE:-3000}"
declare -A SERVICE_PORT=([ingest]=$((PORT_BASE + 1)) [approval-policy]=$((PORT_BASE + 2)) [ledger]=$((PORT_BASE + 3))
  [query]=$((PORT_BASE + 4)) [console]=$((PORT_BASE + 5)))
# How each is started: the console serves a built bundle from its own small server.
declare -A SERVICE_MAIN=([ingest]=apps/ingest/src/main.ts [approval-policy]=apps/approval-policy/src/main.ts
  [ledger]=apps/ledger/src/main.ts [query]=apps/query/src/main.ts [console]=apps/console/server/main.ts)
declare -A SERVICE_READY=([ingest]=/readyz [approval-policy]=/readyz [ledger]=/readyz [query]=/readyz [console]=/healthz)
export NX_DAEMON=false NX_NO_CLOUD=true
# The project's own Node (the pinned devDependency `node`, the major the image ships) comes first, so every
# `node`, `npx` and `#!/usr/bin/env node` below runs on it and not on the machine's. npm itself may run on
# the machine's Node: it only installs.
export PATH="$ROOT/node_modules/.bin:$PATH"
REQUIRED_NODE_MAJOR=24

log() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*"; }

# Installs npm packages when node_modules is missing or older than the lockfile.
ensure_packages() {
  if [ ! -f "$ROOT/node_modules/.package-lock.json" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    log "installing npm packages (npm ci)"
    (cd "$ROOT" && npm ci --no-audit --no-fund)
  fi
}

# Says which Node runs the project and stops when it is not the supported major: what runs here must be
# what the image ships (deploy/docker/service.Dockerfile) and what CI tested.
require_node() {
  local version
  version=$(node --version 2>/dev/null || echo none)
  if [ "${version%%.*}" != "v$REQUIRED_NODE_MAJOR" ]; then
    log "Node $version at $(command -v node || echo '(none on PATH)') runs here, but the project runs on Node $REQUIRED_NODE_MAJOR;"
    log "it comes with the packages (devDependency \"node\" in package.json): run npm ci, then try again"
    return 1
  fi
  log "Node $version ($(command -v node))"
}

infra_running() {
  node "$ROOT/deploy/local/infra.mjs" status 2>/dev/null | grep -Eq '^kafka +running' &&
    node "$ROOT/deploy/local/infra.mjs" status 2>/dev/null | grep -Eq '^opensearch +running'
}
