import type { Pool } from 'pg';

export interface LegalHold {
  id: string;
  tenant: string;
  changeId: string | null;
  actorId: string | null;
  from: Date | null;
  to: Date | null;
  reason: string;
  createdBy: string;
  createdAt: Date;
  releasedBy: string | null;
  releasedAt: Date | null;
}

export interface RetentionRun {
  redacted: number;
  held: number;
  firstSeq: number | null;
  lastSeq: number | null;
}

/** Sets how many days after recording a tenant's payloads of `eventType` ('*' = default) are kept. */
export async function setRetentionPolicy(pool: Pool, tenant: string, eventType: string, retainDays: number): Promise<void> {
  await pool.query(
    `INSERT INTO ledger.retention_policies (tenant, event_type, retain_days) VALUES ($1, $2, $3)
     ON CONFLICT (tenant, event_type) DO UPDATE SET retain_days = EXCLUDED.retain_days, updated_at = now()`,
    [tenant, eventType, retainDays],
  );
}

/** The longest retention of any of the tenant's policies, in days; undefined without a policy. */
export async function longestRetentionDays(pool: Pool, tenant: string): Promise<number | undefined> {
  const { rows } = await pool.query<{ days: number | null }>('SELECT max(retain_days) AS days FROM ledger.retention_policies WHERE tenant = $1', [tenant]);
  return rows[0]?.days ?? undefined;
}

export async function tenantsWithRetention(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ tenant: string }>('SELECT DISTINCT tenant FROM ledger.retention_policies ORDER BY tenant');
  return rows.map((r) => r.tenant);
}

/** Runs the one retention procedure (ledger.apply_retention, migration 0006) for a tenant. */
export async function applyRetention(pool: Pool, tenant: string, now: Date, runBy: string): Promise<RetentionRun> {
  const { rows } = await pool.query<{ redacted_count: number; held_count: number; first_redacted_seq: string | null; last_redacted_seq: string | null }>(
    'SELECT * FROM ledger.apply_retention($1, $2, $3)',
    [tenant, now, runBy],
  );
  const r = rows[0];
  return {
    redacted: Number(r?.redacted_count ?? 0),
    held: Number(r?.held_count ?? 0),
    firstSeq: r?.first_redacted_seq ? Number(r.first_redacted_seq) : null,
    lastSeq: r?.last_redacted_seq ? Number(r.last_redacted_seq) : null,
  };
}

export async function addLegalHold(pool: Pool, hold: Omit<LegalHold, 'releasedBy' | 'releasedAt'>): Promise<void> {
  await pool.query(
    `INSERT INTO ledger.legal_holds (id, tenant, change_id, actor_id, from_time, to_time, reason, created_by, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [hold.id, hold.tenant, hold.changeId, hold.actorId, hold.from, hold.to, hold.reason, hold.createdBy, hold.createdAt],
  );
}

/** Releases an active hold; returns it, or undefined when there is no such active hold. */
export async function releaseLegalHold(pool: Pool, tenant: string, id: string, by: string, at: Date): Promise<LegalHold | undefined> {
  const { rows } = await pool.query<HoldRow>(
    `UPDATE ledger.legal_holds SET released_by = $3, released_at = $4 WHERE tenant = $1 AND id = $2 AND released_at IS NULL RETURNING *`,
    [tenant, id, by, at],
  );
  return rows[0] ? toHold(rows[0]) : undefined;
}

export async function activeLegalHolds(pool: Pool, tenant: string): Promise<LegalHold[]> {
  const { rows } = await pool.query<HoldRow>('SELECT * FROM ledger.legal_holds WHERE tenant = $1 AND released_at IS NULL ORDER BY created_at', [tenant]);
  return rows.map(toHold);
}

interface HoldRow {
  id: string;
  tenant: string;
  change_id: string | null;
  actor_id: string | null;
  from_time: Date | null;
  to_time: Date | null;
  reason: string;
  created_by: string;
  created_at: Date;
  released_by: string | null;
  released_at: Date | null;
}
function toHold(r: HoldRow): LegalHold {
  return {
    id: r.id,
    tenant: r.tenant,
    changeId: r.change_id,
    actorId: r.actor_id,
    from: r.from_time,
    to: r.to_time,
    reason: r.reason,
    createdBy: r.created_by,
    createdAt: r.created_at,
    releasedBy: r.released_by,
    releasedAt: r.released_at,
  };
}

/** The tenant's retention policies, as a run records them in its `retention.applied` event. */
export async function retentionPolicies(pool: Pool, tenant: string): Promise<{ eventType: string; retainDays: number }[]> {
  const { rows } = await pool.query<{ event_type: string; retain_days: number }>('SELECT event_type, retain_days FROM ledger.retention_policies WHERE tenant = $1 ORDER BY event_type', [tenant]);
  return rows.map((r) => ({ eventType: r.event_type, retainDays: r.retain_days }));
}
