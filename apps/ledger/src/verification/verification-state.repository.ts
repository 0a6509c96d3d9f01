import type { Pool } from 'pg';
import { z } from 'zod';
import type { VerifyFailure } from '@audit/ledger-core';
import type { VerificationMode } from './verification.decider';
import type { ResumePoint } from './verification.pass';

/** One tenant's row of `ledger.verification_state` (migration 0010). */
export interface VerificationState {
  readonly tenant: string;
  readonly resume: ResumePoint;
  readonly rootHash: Buffer;
  readonly status: 'ok' | 'failed';
  readonly mode: VerificationMode;
  readonly failure?: VerifyFailure;
  readonly checkedAt: Date;
  readonly lastFullAt?: Date;
  readonly successRecordedAt?: Date;
  readonly successRecordedSize?: number;
  readonly failureRecordedKey?: string;
  /** Redacted rows at the last redaction audit, and how many were still waiting for their run's event. */
  readonly redactedCount: number;
  readonly redactionsPending: number;
}

const Failure = z.object({ seq: z.number().int(), problem: z.string(), detail: z.string() });
const StateRow = z.object({
  tenant: z.string(),
  verified_size: z.coerce.number().int().min(0),
  last_hash: z.instanceof(Buffer),
  frontier: z.unknown(),
  last_checkpoint_id: z.coerce.number().int().min(0),
  last_checkpoint_note: z.string().nullable(),
  checkpointed_size: z.coerce.number().int().min(0),
  root_hash: z.instanceof(Buffer),
  status: z.enum(['ok', 'failed']),
  mode: z.enum(['incremental', 'full']),
  failure: Failure.nullable(),
  checked_at: z.date(),
  last_full_at: z.date().nullable(),
  success_recorded_at: z.date().nullable(),
  success_recorded_size: z.coerce.number().int().nullable(),
  failure_recorded_key: z.string().nullable(),
  redacted_count: z.coerce.number().int().min(0),
  redactions_pending: z.coerce.number().int().min(0),
});

export async function loadVerificationState(pool: Pool, tenant: string): Promise<VerificationState | undefined> {
  const { rows } = await pool.query('SELECT * FROM ledger.verification_state WHERE tenant = $1', [tenant]);
  if (!rows[0]) return undefined;
  const r = StateRow.parse(rows[0]);
  return {
    tenant: r.tenant,
    resume: {
      size: r.verified_size,
      lastHash: r.last_hash,
      frontier: r.frontier,
      ...(r.last_checkpoint_note !== null ? { lastCheckpointNote: r.last_checkpoint_note } : {}),
      checkpointedSize: r.checkpointed_size,
      lastCheckpointId: r.last_checkpoint_id,
    },
    rootHash: r.root_hash,
    status: r.status,
    mode: r.mode,
    ...(r.failure ? { failure: r.failure as VerifyFailure } : {}),
    checkedAt: r.checked_at,
    ...(r.last_full_at ? { lastFullAt: r.last_full_at } : {}),
    ...(r.success_recorded_at ? { successRecordedAt: r.success_recorded_at } : {}),
    ...(r.success_recorded_size !== null ? { successRecordedSize: r.success_recorded_size } : {}),
    ...(r.failure_recorded_key !== null ? { failureRecordedKey: r.failure_recorded_key } : {}),
    redactedCount: r.redacted_count,
    redactionsPending: r.redactions_pending,
  };
}

export async function saveVerificationState(pool: Pool, namespace: string, s: VerificationState): Promise<void> {
  await pool.query(
    `INSERT INTO ledger.verification_state (tenant, namespace, verified_size, last_hash, frontier, last_checkpoint_id, last_checkpoint_note,
       checkpointed_size, root_hash, status, mode, failure, checked_at, last_full_at, success_recorded_at, success_recorded_size, failure_recorded_key,
       redacted_count, redactions_pending)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
     ON CONFLICT (tenant) DO UPDATE SET namespace = EXCLUDED.namespace, verified_size = EXCLUDED.verified_size, last_hash = EXCLUDED.last_hash,
       frontier = EXCLUDED.frontier, last_checkpoint_id = EXCLUDED.last_checkpoint_id, last_checkpoint_note = EXCLUDED.last_checkpoint_note,
       checkpointed_size = EXCLUDED.checkpointed_size, root_hash = EXCLUDED.root_hash, status = EXCLUDED.status, mode = EXCLUDED.mode,
       failure = EXCLUDED.failure, checked_at = EXCLUDED.checked_at, last_full_at = EXCLUDED.last_full_at,
       success_recorded_at = EXCLUDED.success_recorded_at, success_recorded_size = EXCLUDED.success_recorded_size,
       failure_recorded_key = EXCLUDED.failure_recorded_key, redacted_count = EXCLUDED.redacted_count,
       redactions_pending = EXCLUDED.redactions_pending`,
    [
      s.tenant,
      namespace,
      s.resume.size,
      Buffer.from(s.resume.lastHash),
      JSON.stringify(s.resume.frontier),
      s.resume.lastCheckpointId,
      s.resume.lastCheckpointNote ?? null,
      s.resume.checkpointedSize,
      s.rootHash,
      s.status,
      s.mode,
      s.failure ? JSON.stringify(s.failure) : null,
      s.checkedAt,
      s.lastFullAt ?? null,
      s.successRecordedAt ?? null,
      s.successRecordedSize ?? null,
      s.failureRecordedKey ?? null,
      s.redactedCount,
      s.redactionsPending,
    ],
  );
}

/** Whether records other than the verifier's own `ledger.verified` events were appended after `size`. */
export async function grewSince(pool: Pool, tenant: string, size: number): Promise<boolean> {
  const { rows } = await pool.query<{ grew: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM ledger.records WHERE tenant = $1 AND seq > $2 AND type <> 'ledger.verified') AS grew`,
    [tenant, size],
  );
  return rows[0]?.grew === true;
}

/** How many of the tenant's rows are redacted (an index-only count on the partial index of migration 0010). */
export async function countRedacted(pool: Pool, tenant: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM ledger.records WHERE tenant = $1 AND canonical IS NULL', [tenant]);
  return Number(rows[0]?.n ?? 0);
}
