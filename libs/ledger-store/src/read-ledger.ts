import type { Pool } from 'pg';
import type { LedgerEntry, LedgerRow } from '@audit/ledger-core';

export interface StoredRecord extends LedgerRow {
  /** The canonical JSON as hashed; null once the retention procedure redacted the payload (`entry` is then null too). */
  canonical: string | null;
  eventId: string;
}

export interface StoredCheckpoint {
  id: number;
  tenant: string;
  size: number;
  rootHash: Buffer;
  note: string;
  signedAt: Date;
}

/**
 * Reads a tenant's records in seq order, `pageSize` at a time (keyset paging on the primary key), so a
 * ledger of millions of rows streams through bounded memory.
 */
export async function* streamRecords(pool: Pool, tenant: string, options: { fromSeq?: number; toSeq?: number; pageSize?: number } = {}): AsyncGenerator<StoredRecord> {
  const pageSize = options.pageSize ?? 5_000;
  const toSeq = options.toSeq ?? Number.MAX_SAFE_INTEGER;
  let after = (options.fromSeq ?? 1) - 1;
  for (;;) {
    const { rows } = await pool.query<{ seq: string; event_id: string; canonical: string | null; leaf_hash: Buffer; hash: Buffer; prev_hash: Buffer }>(
      `SELECT seq, event_id, canonical, leaf_hash, hash, prev_hash FROM ledger.records
        WHERE tenant = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4`,
      [tenant, after, toSeq, pageSize],
    );
    for (const r of rows) {
      yield {
        seq: Number(r.seq),
        eventId: r.event_id,
        canonical: r.canonical,
        // A redacted row is verified through its stored leaf hash (ledger-core's verifier counts it).
        entry: r.canonical === null ? null : (JSON.parse(r.canonical) as LedgerEntry),
        ...(r.canonical === null ? {} : { leafData: Buffer.from(r.canonical, 'utf8') }),
        leafHash: r.leaf_hash,
        hash: r.hash,
        prevHash: r.prev_hash,
      };
    }
    if (rows.length < pageSize) return;
    after = Number(rows[rows.length - 1]?.seq);
  }
}

/** Leaf hashes of seqs [1, size], in order: what proofs are computed from. */
export async function leafHashes(pool: Pool, tenant: string, size: number): Promise<Buffer[]> {
  const { rows } = await pool.query<{ leaf_hash: Buffer }>('SELECT leaf_hash FROM ledger.records WHERE tenant = $1 AND seq <= $2 ORDER BY seq', [tenant, size]);
  return rows.map((r) => r.leaf_hash);
}

export async function listCheckpoints(pool: Pool, tenant: string): Promise<StoredCheckpoint[]> {
  const { rows } = await pool.query<CheckpointRow>(`SELECT ${CHECKPOINT_COLUMNS} FROM ledger.checkpoints WHERE tenant = $1 ORDER BY id`, [tenant]);
  return rows.map(toCheckpoint);
}

export async function latestCheckpoint(pool: Pool, tenant: string): Promise<StoredCheckpoint | undefined> {
  const { rows } = await pool.query<CheckpointRow>(`SELECT ${CHECKPOINT_COLUMNS} FROM ledger.checkpoints WHERE tenant = $1 ORDER BY id DESC LIMIT 1`, [tenant]);
  return rows[0] ? toCheckpoint(rows[0]) : undefined;
}

/** The latest checkpoint signed at exactly `size`, if any. */
export async function checkpointAtSize(pool: Pool, tenant: string, size: number): Promise<StoredCheckpoint | undefined> {
  const { rows } = await pool.query<CheckpointRow>(
    `SELECT ${CHECKPOINT_COLUMNS} FROM ledger.checkpoints WHERE tenant = $1 AND size = $2 ORDER BY id DESC LIMIT 1`,
    [tenant, size],
  );
  return rows[0] ? toCheckpoint(rows[0]) : undefined;
}

export async function recordSeq(pool: Pool, tenant: string, by: { seq?: number; eventId?: string }): Promise<number | undefined> {
  if (by.seq !== undefined) {
    const { rows } = await pool.query<{ seq: string }>('SELECT seq FROM ledger.records WHERE tenant = $1 AND seq = $2', [tenant, by.seq]);
    return rows[0] ? Number(rows[0].seq) : undefined;
  }
  const { rows } = await pool.query<{ seq: string }>('SELECT seq FROM ledger.records WHERE tenant = $1 AND event_id = $2', [tenant, by.eventId]);
  return rows[0] ? Number(rows[0].seq) : undefined;
}

export async function tenantsInLedger(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ tenant: string }>('SELECT tenant FROM ledger.heads ORDER BY tenant');
  return rows.map((r) => r.tenant);
}

const CHECKPOINT_COLUMNS = 'id, tenant, size, root_hash, note, signed_at';
interface CheckpointRow {
  id: string;
  tenant: string;
  size: string;
  root_hash: Buffer;
  note: string;
  signed_at: Date;
}
function toCheckpoint(r: CheckpointRow): StoredCheckpoint {
  return { id: Number(r.id), tenant: r.tenant, size: Number(r.size), rootHash: r.root_hash, note: r.note, signedAt: r.signed_at };
}
