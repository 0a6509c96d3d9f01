import { z } from 'zod';
import { AcceptedEvent, type CommittedRecord } from '@audit/contracts';
import type { Pool, PoolClient } from '@audit/db';
import type { Logger } from '@audit/observability';
import { summarizeChange, type StoryEvent } from '../../changes/change-story/change-verdicts';
import { ProjectionChecksum } from '../checksum';
import { retentionRange, type RedactionsReader } from '../retention-followup';
import { lockTenant, withProjectorWriter } from './tenant-reader';

export const POSTGRES_PROJECTION = 'postgres';

/** Rows of `query.change_events` as read back: validated like any other input. */
export const ChangeEventRow = z.object({
  seq: z.coerce.number().int().positive(),
  recorded_at: z.date(),
  hash: z.string(),
  event: AcceptedEvent,
});

export function toStoryEvent(row: unknown): StoryEvent {
  const r = ChangeEventRow.parse(row);
  return { seq: r.seq, recordedAt: r.recorded_at.toISOString(), hash: r.hash, event: r.event };
}

const CHECKSUM_TABLES = [
  { table: 'change_events', order: 'seq' },
  { table: 'plans', order: 'seq' },
  { table: 'approvals', order: 'seq' },
  { table: 'runs', order: 'seq' },
  { table: 'changes', order: 'change_id' },
] as const;

/**
 * Projects committed records into the lifecycle tables. One transaction per batch; per tenant, records at
 * or below the stored `last_seq` are skipped and every insert is keyed by (tenant, seq), so redelivery
 * and replay change nothing. The change rows (status, verdicts) are recomputed from the change's events
 * by the same pure function the change story uses.
 */
export class LifecycleProjector {
  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
    /** Given, a `retention.applied` record makes the projector forget the payloads that run redacted. */
    private readonly redactions?: RedactionsReader,
  ) {}

  async apply(records: readonly CommittedRecord[]): Promise<{ applied: number; skipped: number }> {
    if (records.length === 0) return { applied: 0, skipped: 0 };
    return withProjectorWriter(this.pool, (client) => this.applyIn(client, records));
  }

  /** Same as apply, inside the caller's transaction (rebuild replays within the one that dropped the rows). */
  async applyIn(client: PoolClient, records: readonly CommittedRecord[]): Promise<{ applied: number; skipped: number }> {
    const byTenant = new Map<string, CommittedRecord[]>();
    for (const r of records) byTenant.set(r.event.tenant, [...(byTenant.get(r.event.tenant) ?? []), r]);
    let applied = 0;
    for (const tenant of [...byTenant.keys()].sort()) {
      await lockTenant(client, tenant);
      const { rows } = await client.query<{ last_seq: string }>(
        'SELECT last_seq FROM query.projection_positions WHERE projection = $1 AND tenant = $2 FOR UPDATE',
        [POSTGRES_PROJECTION, tenant],
      );
      const lastSeq = Number(rows[0]?.last_seq ?? 0);
      const fresh = byTenant
        .get(tenant)!
        .filter((r) => r.seq > lastSeq)
        .sort((a, b) => a.seq - b.seq);
      if (fresh.length === 0) continue;
      await this.insertRows(client, tenant, fresh);
      const changeIds = new Set(fresh.map((r) => r.event.changeId).filter((c): c is string => !!c));
      for (const r of fresh) {
        const range = retentionRange(r);
        if (range && this.redactions) for (const c of await this.redactIn(client, tenant, await this.redactions(tenant, range.firstSeq, range.lastSeq))) changeIds.add(c);
      }
      for (const changeId of changeIds) await this.refreshChange(client, tenant, changeId);
      await client.query(
        `INSERT INTO query.projection_positions (projection, tenant, last_seq) VALUES ($1, $2, $3)
         ON CONFLICT (projection, tenant) DO UPDATE SET last_seq = GREATEST(query.projection_positions.last_seq, EXCLUDED.last_seq)`,
        [POSTGRES_PROJECTION, tenant, fresh[fresh.length - 1]!.seq],
      );
      applied += fresh.length;
    }
    return { applied, skipped: records.length - applied };
  }

  private async insertRows(client: PoolClient, tenant: string, records: CommittedRecord[]): Promise<void> {
    const withChange = records.filter((r) => r.event.changeId);
    if (withChange.length === 0) return;
    const base = (r: CommittedRecord) => ({ tenant, seq: r.seq, change_id: r.event.changeId });
    await bulkInsert(
      client,
      'change_events',
      'tenant text, seq bigint, change_id text, type text, occurred_at timestamptz, recorded_at timestamptz, hash text, event jsonb',
      withChange.map((r) => ({ ...base(r), type: r.event.type, occurred_at: r.event.occurredAt, recorded_at: r.recordedAt, hash: r.hash, event: r.event })),
    );
    await bulkInsert(
      client,
      'plans',
      'tenant text, seq bigint, change_id text, digest text, summary jsonb, created_by text, created_at timestamptz',
      withChange
        .filter((r) => r.event.type === 'plan.created' && r.event.plan)
        .map((r) => ({ ...base(r), digest: r.event.plan!.digest, summary: r.event.plan!.summary ?? null, created_by: r.event.actor.id, created_at: r.event.occurredAt })),
    );
    await bulkInsert(
      client,
      'approvals',
      'tenant text, seq bigint, change_id text, decision text, approver text, approver_roles text[], approver_teams text[], plan_digest text, reason text, decided_at timestamptz',
      withChange
        .filter((r) => r.event.type.startsWith('approval.'))
        .map((r) => ({
          ...base(r),
          decision: r.event.type.slice('approval.'.length),
          approver: r.event.actor.id,
          approver_roles: r.event.actor.roles,
          approver_teams: r.event.actor.teams,
          plan_digest: r.event.plan?.digest ?? null,
          reason: r.event.reason ?? null,
          decided_at: r.event.occurredAt,
        })),
    );
    await bulkInsert(
      client,
      'runs',
      'tenant text, seq bigint, change_id text, type text, artifact_digest text, outcome text, run_id text, occurred_at timestamptz',
      withChange
        .filter((r) => r.event.type.startsWith('deployment.'))
        .map((r) => ({
          ...base(r),
          type: r.event.type,
          artifact_digest: r.event.artifact?.digest ?? null,
          outcome: r.event.outcome ?? null,
          run_id: r.event.source?.runId ?? null,
          occurred_at: r.event.occurredAt,
        })),
    );
  }

  /**
   * Forgets the payloads of redacted records: the event of each change_events row (the row stays, with
   * `redacted_at`), and the plan, approval and run rows derived from it. Returns the changes touched.
   */
  private async redactIn(client: PoolClient, tenant: string, seqs: readonly { seq: number; redactedAt: Date }[]): Promise<string[]> {
    if (seqs.length === 0) return [];
    const numbers = seqs.map((s) => s.seq);
    const { rows } = await client.query<{ change_id: string }>(
      `UPDATE query.change_events e SET event = NULL, redacted_at = x.redacted_at
         FROM unnest($2::bigint[], $3::timestamptz[]) AS x(seq, redacted_at)
        WHERE e.tenant = $1 AND e.seq = x.seq AND e.event IS NOT NULL
        RETURNING e.change_id`,
      [tenant, numbers, seqs.map((s) => s.redactedAt)],
    );
    for (const table of ['plans', 'approvals', 'runs']) await client.query(`DELETE FROM query.${table} WHERE tenant = $1 AND seq = ANY($2::bigint[])`, [tenant, numbers]);
    if (rows.length > 0) this.logger.info({ tenant, redacted: rows.length }, 'redacted lifecycle rows after a retention run');
    return [...new Set(rows.map((r) => r.change_id))];
  }

  private async refreshChange(client: PoolClient, tenant: string, changeId: string): Promise<void> {
    const { rows } = await client.query('SELECT seq, recorded_at, hash, event FROM query.change_events WHERE tenant = $1 AND change_id = $2 AND event IS NOT NULL ORDER BY seq', [tenant, changeId]);
    if (rows.length === 0) {
      // Every event of the change was redacted: there is nothing left to summarize, only the redacted rows.
      await client.query('DELETE FROM query.changes WHERE tenant = $1 AND change_id = $2', [tenant, changeId]);
      return;
    }
    const s = summarizeChange(changeId, rows.map(toStoryEvent));
    const v = s.verdicts;
    await client.query(
      `INSERT INTO query.changes (tenant, change_id, status, environment, resource_kind, resource_id, requester, requested_at, updated_at,
         first_seq, last_seq, event_count, ran_plan_digest, approved_for_plan, artifact_match, separation_of_duties, policy_version, outcome, verdicts)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
       ON CONFLICT (tenant, change_id) DO UPDATE SET
         status = EXCLUDED.status, environment = EXCLUDED.environment, resource_kind = EXCLUDED.resource_kind, resource_id = EXCLUDED.resource_id,
         requester = EXCLUDED.requester, requested_at = EXCLUDED.requested_at, updated_at = EXCLUDED.updated_at, first_seq = EXCLUDED.first_seq,
         last_seq = EXCLUDED.last_seq, event_count = EXCLUDED.event_count, ran_plan_digest = EXCLUDED.ran_plan_digest,
         approved_for_plan = EXCLUDED.approved_for_plan, artifact_match = EXCLUDED.artifact_match,
         separation_of_duties = EXCLUDED.separation_of_duties, policy_version = EXCLUDED.policy_version, outcome = EXCLUDED.outcome,
         verdicts = EXCLUDED.verdicts`,
      [
        tenant,
        changeId,
        s.status,
        s.environment,
        s.resourceKind,
        s.resourceId,
        s.requester,
        s.requestedAt,
        s.updatedAt,
        s.firstSeq,
        s.lastSeq,
        s.eventCount,
        v.approvedForPlanThatRan.ranPlanDigest,
        v.approvedForPlanThatRan.verdict,
        v.artifactMatch.verdict,
        v.separationOfDuties.verdict,
        v.policy.version,
        v.outcome.value,
        JSON.stringify(v),
      ],
    );
  }

  /**
   * Applies a page read from the ledger itself (catch-up): its committed records as usual, and its
   * redacted rows as what is left of them (a change_events row without event, placed at its recording
   * time, since the time it happened was in the payload); the position moves to the end of the page.
   */
  async applyLedgerPage(
    tenant: string,
    records: readonly CommittedRecord[],
    redacted: readonly { seq: number; changeId: string | null; type: string; recordedAt: Date; hash: string; redactedAt: Date }[],
    upToSeq: number,
  ): Promise<void> {
    await withProjectorWriter(this.pool, async (client) => {
      await lockTenant(client, tenant);
      await this.applyIn(client, records);
      const rows = redacted.filter((r) => r.changeId !== null);
      if (rows.length > 0) {
        await client.query(
          `INSERT INTO query.change_events (tenant, seq, change_id, type, occurred_at, recorded_at, hash, event, redacted_at)
           SELECT $1, x.seq, x.change_id, x.type, x.recorded_at, x.recorded_at, x.hash, NULL, x.redacted_at
             FROM jsonb_to_recordset($2::jsonb) AS x(seq bigint, change_id text, type text, recorded_at timestamptz, hash text, redacted_at timestamptz)
           ON CONFLICT (tenant, seq) DO NOTHING`,
          [tenant, JSON.stringify(rows.map((r) => ({ seq: r.seq, change_id: r.changeId, type: r.type, recorded_at: r.recordedAt, hash: r.hash, redacted_at: r.redactedAt })))],
        );
      }
      await client.query(
        `INSERT INTO query.projection_positions (projection, tenant, last_seq) VALUES ($1, $2, $3)
         ON CONFLICT (projection, tenant) DO UPDATE SET last_seq = GREATEST(query.projection_positions.last_seq, EXCLUDED.last_seq)`,
        [POSTGRES_PROJECTION, tenant, upToSeq],
      );
    });
  }

  /** Removes everything of the tenant (rebuild); the caller's transaction holds the tenant lock. */
  async dropTenantIn(client: PoolClient, tenant: string): Promise<void> {
    await lockTenant(client, tenant);
    for (const { table } of CHECKSUM_TABLES) await client.query(`DELETE FROM query.${table} WHERE tenant = $1`, [tenant]);
    await client.query('DELETE FROM query.projection_positions WHERE projection = $1 AND tenant = $2', [POSTGRES_PROJECTION, tenant]);
    this.logger.info({ tenant }, 'dropped the lifecycle rows of the tenant');
  }

  async lastSeq(client: PoolClient | Pool, tenant: string): Promise<number> {
    const { rows } = await client.query<{ last_seq: string }>('SELECT last_seq FROM query.projection_positions WHERE projection = $1 AND tenant = $2', [POSTGRES_PROJECTION, tenant]);
    return Number(rows[0]?.last_seq ?? 0);
  }

  /**
   * SHA-256 over every lifecycle row of the tenant, table by table in key order, as canonical JSON
   * (timestamps as ISO strings). Rows derived from events after `upToSeq` are left out, so a checksum
   * taken while new events arrive still compares with one taken before.
   */
  async checksumIn(client: PoolClient, tenant: string, upToSeq: number): Promise<{ sha256: string; rows: number }> {
    const sum = new ProjectionChecksum();
    for (const { table, order } of CHECKSUM_TABLES) {
      const bound = table === 'changes' ? 'last_seq' : 'seq';
      const { rows } = await client.query(`SELECT * FROM query.${table} WHERE tenant = $1 AND ${bound} <= $2 ORDER BY ${order}`, [tenant, upToSeq]);
      for (const row of rows) sum.add(table, row);
    }
    return sum.digest();
  }
}

/** One INSERT per table and batch: rows travel as one JSON array, keyed by (tenant, seq), duplicates ignored. */
async function bulkInsert(client: PoolClient, table: string, columns: string, rows: Record<string, unknown>[]): Promise<void> {
  if (rows.length === 0) return;
  const names = columns.split(',').map((c) => c.trim().split(' ')[0]).join(', ');
  await client.query(`INSERT INTO query.${table} (${names}) SELECT ${names} FROM jsonb_to_recordset($1::jsonb) AS x(${columns}) ON CONFLICT (tenant, seq) DO NOTHING`, [JSON.stringify(rows)]);
}
