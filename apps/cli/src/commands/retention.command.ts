import { parseArgs } from 'node:util';
import { activeLegalHolds, applyRetention, longestRetentionDays, retentionPolicies, setRetentionPolicy, tenantsWithRetention } from '@audit/ledger-store';
import { UsageError, type CliCommand } from '../command';
import { withDatabase } from '../admin/database';
import { operatorIdentity, refuseBy } from '../admin/operator';
import { expiredIndices } from './retention/index-expiry';
import { parseNow, recordAdminEvent } from './retention/ledger-events';

export const retentionCommand: CliCommand = {
  name: 'retention',
  summary: 'set retention policies, and run the audited expiry (redact payloads, drop old indices; holds win)',
  help: `usage:
  audit-ledger retention set --tenant <t> --type <event type | '*'> --days <n>
  audit-ledger retention run (--tenant <t> | --all) [--now <time, not ahead of the clock>] [--index-prefix <p>]

run: for each tenant, calls ledger.apply_retention (migration apps/ledger/migrations/0006_retention.sql),
the one procedure allowed to touch ledger.records: payloads recorded more than the policy's days before
--now are replaced by NULL (redacted_at set) while seq, leaf hash, hash and prev hash stay, so
\`audit-ledger verify\` and earlier exports still pass; records under an active legal hold are skipped.
Each run is logged in ledger.retention_runs and recorded in the ledger as a retention.applied event
(KAFKA_BROKERS required). With OPENSEARCH_URL set, the tenant's monthly indices
<prefix>-<tenant>_YYYY.MM whose month ended before the longest retention are deleted, unless a hold
reaches into them.

The operator recorded (ledger.retention_runs.run_by and the event's actor) comes from the credentials
that allow the run — the database login of DATABASE_URL and the OS account — not from a flag
(\`--by\` is refused). --now may replay an earlier instant, never one ahead of the clock.

example:
  audit-ledger retention set --tenant acme --type '*' --days 400
  audit-ledger retention set --tenant acme --type audit.read --days 90
  DATABASE_URL=… KAFKA_BROKERS=… OPENSEARCH_URL=… audit-ledger retention run --all
`,
  async run(args, io) {
    const [sub, ...rest] = args;
    const { values } = parseArgs({
      args: rest,
      options: {
        tenant: { type: 'string' },
        all: { type: 'boolean', default: false },
        type: { type: 'string' },
        days: { type: 'string' },
        now: { type: 'string' },
        by: { type: 'string' },
        'index-prefix': { type: 'string', default: 'audit-events' },
      },
      strict: true,
    });
    if (sub === 'set') {
      if (!values.tenant || !values.type || !values.days) throw new UsageError('give --tenant, --type and --days');
      const days = Number(values.days);
      if (!Number.isInteger(days) || days < 1) throw new UsageError('--days must be a whole number ≥ 1');
      const { tenant, type } = values;
      await withDatabase(io.env, (pool) => setRetentionPolicy(pool, tenant, type, days));
      io.stdout(`retention of ${tenant} ${type}: ${days} days\n`);
      return 0;
    }
    if (sub !== 'run') throw new UsageError('give a subcommand: set or run');
    if (!values.tenant && !values.all) throw new UsageError('give --tenant <tenant> or --all');
    if (!io.env.KAFKA_BROKERS) throw new UsageError('KAFKA_BROKERS must be set: every retention run is recorded in the ledger');
    refuseBy(values.by);
    const now = parseNow(values.now, io.clock);
    const prefix = values['index-prefix'];
    return withDatabase(io.env, async (pool) => {
      const by = await operatorIdentity(pool);
      const tenants = values.tenant ? [values.tenant] : await tenantsWithRetention(pool);
      for (const tenant of tenants) {
        // Recorded with the run: the ledger's verifier checks each redaction against its type's policy.
        const policies = await retentionPolicies(pool, tenant);
        const run = await applyRetention(pool, tenant, now, by);
        const deleted = io.env.OPENSEARCH_URL ? await expireIndices(io.env.OPENSEARCH_URL, prefix, tenant, now, (await longestRetentionDays(pool, tenant)) ?? 0, await activeLegalHolds(pool, tenant)) : [];
        await recordAdminEvent(io.env, {
          type: 'retention.applied',
          tenant,
          actor: by,
          now,
          resourceId: `retention/${tenant}`,
          details: { redacted: run.redacted, skippedHeld: run.held, firstRedactedSeq: run.firstSeq, lastRedactedSeq: run.lastSeq, policies, deletedIndices: deleted },
        });
        io.stdout(`${tenant}: redacted ${run.redacted} payloads${run.firstSeq ? ` (seq ${run.firstSeq}..${run.lastSeq})` : ''}, ${run.held} kept under legal hold, ${deleted.length} indices deleted${deleted.length ? `: ${deleted.join(', ')}` : ''}\n`);
      }
      return 0;
    });
  },
};

async function expireIndices(baseUrl: string, prefix: string, tenant: string, now: Date, longestDays: number, holds: Parameters<typeof expiredIndices>[5]): Promise<string[]> {
  if (longestDays <= 0) return [];
  const listed = await fetch(new URL(`/_cat/indices/${encodeURIComponent(`${prefix}-${tenant}_*`)}?format=json&h=index`, baseUrl));
  if (!listed.ok) throw new Error(`OpenSearch listed no indices: HTTP ${listed.status}`);
  const names = ((await listed.json()) as { index: string }[]).map((i) => i.index);
  const expired = expiredIndices(names, prefix, tenant, now, longestDays, holds);
  for (const name of expired) {
    const res = await fetch(new URL(`/${encodeURIComponent(name)}`, baseUrl), { method: 'DELETE' });
    if (!res.ok && res.status !== 404) throw new Error(`could not delete index ${name}: HTTP ${res.status}`);
  }
  return expired;
}
