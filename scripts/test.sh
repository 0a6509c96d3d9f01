#!/usr/bin/env bash
# `npm test`: installs what is missing, brings up the real Kafka/Postgres/OpenSearch (unless they already
# run), then lint, typecheck, unit and integration tests. Stops the infrastructure only if it started it.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_packages
require_node

started_infra=0
if [ "${INFRA_EXTERNAL:-0}" != "1" ] && ! infra_running; then
  started_infra=1
fi
cleanup() {
  if [ "$started_infra" = 1 ] && [ "${KEEP_INFRA:-0}" != 1 ]; then node deploy/local/infra.mjs down || true; fi
}
trap cleanup EXIT
[ "${INFRA_EXTERNAL:-0}" = "1" ] || node deploy/local/infra.mjs up

mkdir -p "$LOCAL_DIR"
status=0
log "lint (Nx module boundaries, no console in services)"
npx nx show projects >/dev/null  # caches the project graph that the boundary rule reads
npx eslint . || status=1
log "typecheck"
npx tsc -p tsconfig.json --noEmit || status=1
npx tsc -p apps/console/tsconfig.json --noEmit || status=1

# The console's end-to-end tests drive Debian's chromium (no browser download).
bash apps/console/scripts/ensure-chromium.sh >/dev/null || status=1

results="$LOCAL_DIR/jest-results.json"
rm -f "$results"
log "unit and integration tests against the real Kafka, Postgres and OpenSearch"
npx jest --ci --json --outputFile="$results" "$@" || status=1

summary="0 passed, 1 failed"
if [ -f "$results" ]; then
  summary=$(node -e '
    const r = require(process.argv[1]);
    const failed = r.numFailedTests + (r.numRuntimeErrorTestSuites || 0);
    const skipped = r.numPendingTests + (r.numTodoTests || 0);
    console.log(`${r.numPassedTests} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
  ' "$results")
  [[ "$summary" =~ ^[0-9]+\ passed,\ 0\ failed ]] || status=1
else
  status=1
fi
[ "$status" = 0 ] || log "FAILED (lint, typecheck or tests: see above)"
trap - EXIT
cleanup
# The last line is the plain summary CI reads.
echo "$summary"
exit "$status"
