import type { Pool } from 'pg';
import type { AcceptedEvent, CommittedRecord } from '@audit/contracts';
import type { KafkaPublisher } from '@audit/kafka';
import type { Logger } from '@audit/observability';
import { maybeCrash } from '../fault-injection';

interface OutboxRow {
  id: string;
  traceparent: string | null;
  tenant: string;
  seq: string;
  canonical: string;
  leaf_hash: Buffer;
  hash: Buffer;
  prev_hash: Buffer;
}

/**
 * Announces committed records on `audit.committed.v1` from the transactional outbox: rows are deleted
 * only after Kafka acknowledged them, so a crash between commit and publish re-sends (consumers key by
 * tenant+seq) and never loses a notification.
 */
export class OutboxRelay {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly pool: Pool,
    private readonly publisher: KafkaPublisher,
    private readonly logger: Logger,
    private readonly namespace = '',
    private readonly batchSize = 2_000,
  ) {}

  /** Drains the outbox; concurrent calls coalesce into one more pass. */
  kick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          while ((await this.relayOnce()) === this.batchSize);
        } while (this.again);
      } catch (error) {
        this.logger.warn({ err: error }, 'outbox relay failed; will retry');
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  async relayOnce(): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<OutboxRow>(
        `SELECT o.id, o.tenant, o.seq, o.traceparent, r.canonical, r.leaf_hash, r.hash, r.prev_hash
           FROM ledger.outbox o JOIN ledger.records r ON r.tenant = o.tenant AND r.seq = o.seq
          WHERE o.namespace = $2
          ORDER BY o.id LIMIT $1 FOR UPDATE OF o SKIP LOCKED`,
        [this.batchSize, this.namespace],
      );
      if (rows.length > 0) {
        await this.publisher.publish(
          'committed',
          rows.map((r) => ({ key: r.tenant, value: toCommittedRecord(r), ...(r.traceparent ? { headers: { traceparent: r.traceparent } } : {}) })),
          // Every record was validated as an AcceptedEvent before it was hashed and stored.
          { prevalidated: true },
        );
        maybeCrash('after-outbox-publish');
        await client.query('DELETE FROM ledger.outbox WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
      }
      await client.query('COMMIT');
      return rows.length;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

function toCommittedRecord(row: OutboxRow): CommittedRecord {
  const { seq, recordedAt, ...event } = JSON.parse(row.canonical) as Record<string, unknown>;
  return {
    event: event as AcceptedEvent,
    seq: Number(seq),
    recordedAt: String(recordedAt),
    leafHash: row.leaf_hash.toString('hex'),
    hash: row.hash.toString('hex'),
    prevHash: row.prev_hash.toString('hex'),
  };
}
