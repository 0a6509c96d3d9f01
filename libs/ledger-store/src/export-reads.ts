import type { Pool } from 'pg';

/** A record as an export needs it: the canonical text exactly as hashed (null once retention redacted it) and its leaf hash. */
export interface ExportRow {
  seq: number;
  canonical: string | null;
  leafHash: Buffer;
}

/**
 * The seq range of a tenant's records recorded in [from, to) (ledger time, so the range is gapless),
 * capped at `maxSeq`; undefined when no record falls in it.
 */
export async function seqRangeRecorded(pool: Pool, tenant: string, range: { from?: Date; to?: Date; maxSeq: number }): Promise<{ firstSeq: number; lastSeq: number } | undefined> {
  const { rows } = await pool.query<{ first: string | null; last: string | null }>(
    `SELECT min(seq) AS first, max(seq) AS last FROM ledger.records
      WHERE tenant = $1 AND seq <= $2 AND ($3::timestamptz IS NULL OR recorded_at >= $3) AND ($4::timestamptz IS NULL OR recorded_at < $4)`,
    [tenant, range.maxSeq, range.from ?? null, range.to ?? null],
  );
  const first = rows[0]?.first;
  const last = rows[0]?.last;
  return first && last ? { firstSeq: Number(first), lastSeq: Number(last) } : undefined;
}

/**
 * Streams a tenant's records with seq in [fromSeq, toSeq] (optionally only one change's), in seq order,
 * `pageSize` at a time by keyset paging, so an export of millions of rows runs in bounded memory.
 */
export async function* streamExportRows(
  pool: Pool,
  tenant: string,
  options: { fromSeq: number; toSeq: number; changeId?: string; pageSize?: number },
): AsyncGenerator<ExportRow> {
  const pageSize = options.pageSize ?? 5_000;
  let after = options.fromSeq - 1;
  for (;;) {
    const { rows } = await pool.query<{ seq: string; canonical: string | null; leaf_hash: Buffer }>(
      `SELECT seq, canonical, leaf_hash FROM ledger.records
        WHERE tenant = $1 AND seq > $2 AND seq <= $3 AND ($4::text IS NULL OR change_id = $4) ORDER BY seq LIMIT $5`,
      [tenant, after, options.toSeq, options.changeId ?? null, pageSize],
    );
    for (const r of rows) yield { seq: Number(r.seq), canonical: r.canonical, leafHash: r.leaf_hash };
    if (rows.length < pageSize) return;
    after = Number(rows[rows.length - 1]?.seq);
  }
}

/**
 * Leaf hashes of seqs 1..size in one buffer (32 bytes each, in order), read in pages: what a multi-proof
 * is computed from, without a JavaScript object per leaf. Throws if a seq is missing.
 */
export async function leafHashBuffer(pool: Pool, tenant: string, size: number, pageSize = 50_000): Promise<Buffer> {
  const out = Buffer.alloc(size * 32);
  let after = 0;
  while (after < size) {
    const { rows } = await pool.query<{ seq: string; leaf_hash: Buffer }>(
      'SELECT seq, leaf_hash FROM ledger.records WHERE tenant = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4',
      [tenant, after, size, pageSize],
    );
    for (const r of rows) {
      const seq = Number(r.seq);
      if (seq !== after + 1) throw new Error(`ledger of ${tenant} has no seq ${after + 1}`);
      r.leaf_hash.copy(out, (seq - 1) * 32);
      after = seq;
    }
    if (rows.length === 0) throw new Error(`ledger of ${tenant} has no seq ${after + 1}`);
  }
  return out;
}
