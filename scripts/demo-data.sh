#!/usr/bin/env bash
# Loads demo data into a running system (called by `npm start`): an emitter API key and an approval policy
# for tenant "demo", then two change lifecycles (one whose deployed artifact differs from the approved one)
# and a few other events through the real ingest API. Idempotent: re-running records nothing twice.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
tenant=demo
key_file="$LOCAL_DIR/demo-api-key"
ingest_url="http://127.0.0.1:${SERVICE_PORT[ingest]}"
new_demo_key() {
  npx audit-ledger apikey create --tenant "$tenant" --description "demo data (npm start)" | sed -n 's/^apiKey: *//p' > "$key_file.tmp"
  [ -s "$key_file.tmp" ] || { log "could not create the demo API key"; exit 1; }
  mv "$key_file.tmp" "$key_file"
}
# The HTTP status ingest gives this key: an empty body is refused after authentication (400) and records
# nothing, while a key the database does not hold is refused first (401).
key_status() {
  curl -s --max-time 10 -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $(cat "$key_file")" \
    -H 'Content-Type: application/json' --data '{}' "$ingest_url/v1/events" || true
}
if [ ! -s "$key_file" ]; then
  new_demo_key
elif [ "$(key_status)" = 401 ]; then
  # .local/ outlived the database (it was recreated or reset): the saved key is unknown there.
  log "the saved demo API key (${key_file#$ROOT/}) is unknown or revoked in this database (was it recreated?): creating a new one"
  new_demo_key
fi
export AUDIT_LEDGER_URL="$ingest_url" AUDIT_LEDGER_API_KEY="$(cat "$key_file")"

admin_token=$(node -r @swc-node/register tools/dev-token.ts --tenant "$tenant" --role admin --sub demo-admin)
AUDIT_POLICY_URL="http://127.0.0.1:${SERVICE_PORT[approval-policy]}" AUDIT_POLICY_TOKEN="$admin_token" \
  npx audit-ledger policy apply --file tools/demo/policy.yaml >/dev/null
npx audit-ledger emit --file tools/demo/events.jsonl >/dev/null

auditor_token=$(node -r @swc-node/register tools/dev-token.ts --tenant "$tenant" --role auditor --sub demo-auditor)
# Wait until the demo events went ingest → Kafka → ledger → query and are searchable.
for _ in $(seq 1 60); do
  total=$(curl -fsS --max-time 5 -H "Authorization: Bearer $auditor_token" "http://127.0.0.1:${SERVICE_PORT[query]}/v1/search?q=change:CHG-1002" 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).total.value)}catch{console.log(0)}})' || true)
  [ "${total:-0}" -ge 5 ] && break
  sleep 1
done
if [ "${total:-0}" -lt 5 ]; then
  # Seen when the database outlived .local/ (a new Kafka and OpenSearch beside an old database): ingest
  # answers the demo requests from its idempotency records and sends nothing new to this broker.
  log "only ${total:-0} of the 5 demo events of CHG-1002 are searchable after 60 s; if the database is older than ${LOCAL_DIR#$ROOT/}/, ingest took them as already accepted: use a fresh database for a full demo"
fi
cat >"$LOCAL_DIR/demo.env" <<ENV
Demo tenant "$tenant" is loaded ($total events of change CHG-1002 searchable). Try:
  export TOKEN=\$(npm run -s dev-token -- --tenant demo --role auditor)
  curl -s -H "Authorization: Bearer \$TOKEN" 'http://127.0.0.1:${SERVICE_PORT[query]}/v1/search?q=env:prod%20type:deployment.*' | head -c 600
  curl -s -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:${SERVICE_PORT[query]}/v1/changes/CHG-1002    # artifact mismatch flagged
  curl -s -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:${SERVICE_PORT[ledger]}/v1/checkpoints       # signed checkpoint
Emitter key for tenant demo: $key_file
ENV
