import type { Pool } from 'pg';
import { z } from 'zod';
import { auditRedaction, type LegalHoldWindow, type LoggedRetentionRun, type RecordedRetentionRun, type VerifyFailure } from '@audit/ledger-core';

export interface RedactionAudit {
  /** Redacted rows checked. */
  redacted: number;
  /** Redacted so recently that their run's event may not be in the ledger yet: judged on a later pass. */
  pending: number;
  /** The lowest bad seq, when any redaction matches no recorded run or was made under a legal hold. */
  firstFailure?: VerifyFailure;
}

/** `details` of a `retention.applied` event as the CLI's `retention run` records it. */
const RetentionDetails = z.object({
  firstRedactedSeq: z.number().int().positive().nullable(),
  lastRedactedSeq: z.number().int().positive().nullable(),
  policies: z.array(z.object({ eventType: z.string(), retainDays: z.number().int().positive() })).optional(),
});
const RetentionEntry = z.object({ occurredAt: z.string().datetime({ offset: true }), details: RetentionDetails });

/**
 * Checks every redacted row of the tenant against the retention runs recorded in its own ledger and the
 * legal holds (auditRedaction). Reads only the redacted rows and the runs' events (both indexed,
 * migration 0010), so it is cheap enough to run on every verification tick.
 */
export async function auditTenantRedactions(pool: Pool, tenant: string, options: { now: Date; graceMs: number; pageSize?: number }): Promise<RedactionAudit> {
  const pageSize = options.pageSize ?? 5_000;
  const audit: RedactionAudit = { redacted: 0, pending: 0 };
  let runs: RecordedRetentionRun[] | undefined;
  let holds: LegalHoldWindow[] = [];
  let loggedRuns: LoggedRetentionRun[] = [];
  let after = 0;
  for (;;) {
    const { rows } = await pool.query<{ seq: string; type: string; change_id: string | null; recorded_at: Date; redacted_at: Date | null }>(
      `SELECT seq, type, change_id, recorded_at, redacted_at FROM ledger.records
        WHERE tenant = $1 AND canonical IS NULL AND seq > $2 ORDER BY seq LIMIT $3`,
      [tenant, after, pageSize],
    );
    if (rows.length === 0) return audit;
    if (runs === undefined) {
      runs = await recordedRetentionRuns(pool, tenant);
      holds = await legalHoldWindows(pool, tenant);
      loggedRuns = await recentlyLoggedRuns(pool, tenant, options.graceMs);
    }
    for (const r of rows) {
      audit.redacted++;
      // The table's check constraint pairs a NULL payload with a redaction time; a row without one was forced past it.
      if (r.redacted_at === null) {
        audit.firstFailure = { seq: Number(r.seq), problem: 'redaction-unrecorded', detail: 'payload removed without a redaction time (the table constraint was bypassed)' };
        return audit;
      }
      const verdict = auditRedaction({ seq: Number(r.seq), type: r.type, changeId: r.change_id, recordedAt: r.recorded_at, redactedAt: r.redacted_at }, runs, holds, { ...options, loggedRuns });
      if (verdict.verdict === 'pending') audit.pending++;
      if (verdict.verdict === 'failed') {
        audit.firstFailure = verdict.failure;
        return audit;
      }
    }
    if (rows.length < pageSize) return audit;
    after = Number(rows[rows.length - 1]!.seq);
  }
}

/** The tenant's `retention.applied` events, as runs. An event that does not parse covers nothing. */
export async function recordedRetentionRuns(pool: Pool, tenant: string): Promise<RecordedRetentionRun[]> {
  const { rows } = await pool.query<{ seq: string; canonical: string | null }>(
    `SELECT seq, canonical FROM ledger.records WHERE tenant = $1 AND type = 'retention.applied' ORDER BY seq`,
    [tenant],
  );
  const runs: RecordedRetentionRun[] = [];
  for (const r of rows) {
    if (r.canonical === null) continue;
    const parsed = RetentionEntry.safeParse(JSON.parse(r.canonical));
    if (!parsed.success) continue;
    const { occurredAt, details } = parsed.data;
    runs.push({
      eventSeq: Number(r.seq),
      runAt: new Date(occurredAt),
      firstSeq: details.firstRedactedSeq,
      lastSeq: details.lastRedactedSeq,
      ...(details.policies ? { policies: details.policies } : {}),
    });
  }
  return runs;
}

/** Runs the retention procedure logged within the grace (ledger.retention_runs, logged_at from migration 0010). */
async function recentlyLoggedRuns(pool: Pool, tenant: string, graceMs: number): Promise<LoggedRetentionRun[]> {
  const { rows } = await pool.query<{ run_at: Date; first_seq: string | null; last_seq: string | null; logged_at: Date }>(
    `SELECT run_at, first_seq, last_seq, logged_at FROM ledger.retention_runs
      WHERE tenant = $1 AND logged_at > now() - make_interval(secs => $2::double precision / 1000) ORDER BY id`,
    [tenant, graceMs],
  );
  return rows.map((r) => ({ runAt: r.run_at, firstSeq: r.first_seq === null ? null : Number(r.first_seq), lastSeq: r.last_seq === null ? null : Number(r.last_seq), loggedAt: r.logged_at }));
}

/** Every legal hold of the tenant, released ones included: a redaction is judged against the holds of its moment. */
async function legalHoldWindows(pool: Pool, tenant: string): Promise<LegalHoldWindow[]> {
  const { rows } = await pool.query<{ id: string; change_id: string | null; actor_id: string | null; from_time: Date | null; to_time: Date | null; created_at: Date; released_at: Date | null }>(
    'SELECT id, change_id, actor_id, from_time, to_time, created_at, released_at FROM ledger.legal_holds WHERE tenant = $1 ORDER BY created_at',
    [tenant],
  );
  return rows.map((h) => ({ id: h.id, changeId: h.change_id, actorId: h.actor_id, from: h.from_time, to: h.to_time, createdAt: h.created_at, releasedAt: h.released_at }));
}

/** The redacted rows among seqs [fromSeq, toSeq] of a tenant: what a read model must forget. */
export async function redactedSeqs(pool: Pool, tenant: string, fromSeq: number, toSeq: number): Promise<{ seq: number; redactedAt: Date }[]> {
  const { rows } = await pool.query<{ seq: string; redacted_at: Date }>(
    'SELECT seq, redacted_at FROM ledger.records WHERE tenant = $1 AND seq BETWEEN $2 AND $3 AND canonical IS NULL ORDER BY seq',
    [tenant, fromSeq, toSeq],
  );
  return rows.map((r) => ({ seq: Number(r.seq), redactedAt: r.redacted_at }));
}
