import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import type { Pool } from '@audit/db';
import { InjectPool } from '@audit/service-shell';
import type { IdempotencyRecord } from './idempotency.decision';

const Row = z.object({
  request_sha256: z.instanceof(Buffer),
  event_ids: z.array(z.string()),
  received_at: z.date(),
  status: z.enum(['pending', 'published']),
  inserted: z.boolean(),
});

/** Idempotency keys per tenant, in Postgres (table ingest_idempotency). */
@Injectable()
export class IdempotencyRepository {
  constructor(@InjectPool() private readonly pool: Pool) {}

  /** Inserts the record unless the key exists; returns whichever record is now stored for the key. */
  async reserve(tenant: string, key: string, candidate: IdempotencyRecord): Promise<{ record: IdempotencyRecord; inserted: boolean }> {
    const insert = await this.pool.query(
      `INSERT INTO ingest_idempotency (tenant, key, request_sha256, event_ids, received_at, status)
       VALUES ($1, $2, $3, $4::uuid[], $5, 'pending')
       ON CONFLICT (tenant, key) DO NOTHING
       RETURNING request_sha256, event_ids::text[] AS event_ids, received_at, status, true AS inserted`,
      [tenant, key, candidate.requestSha256, candidate.eventIds, candidate.receivedAt],
    );
    const rows = insert.rows.length > 0
      ? insert.rows
      : (
          await this.pool.query(
            `SELECT request_sha256, event_ids::text[] AS event_ids, received_at, status, false AS inserted
             FROM ingest_idempotency WHERE tenant = $1 AND key = $2`,
            [tenant, key],
          )
        ).rows;
    const row = Row.parse(rows[0]);
    return {
      inserted: row.inserted,
      record: { requestSha256: row.request_sha256, eventIds: row.event_ids, receivedAt: row.received_at, status: row.status },
    };
  }

  async markPublished(tenant: string, key: string): Promise<void> {
    await this.pool.query(`UPDATE ingest_idempotency SET status = 'published', published_at = now() WHERE tenant = $1 AND key = $2`, [tenant, key]);
  }

  /** Forgets keys older than the retention (at least 24 h, see config IDEMPOTENCY_RETENTION_HOURS). */
  async purgeOlderThan(hours: number): Promise<number> {
    const { rowCount } = await this.pool.query(`DELETE FROM ingest_idempotency WHERE created_at < now() - make_interval(hours => $1)`, [hours]);
    return rowCount ?? 0;
  }
}
