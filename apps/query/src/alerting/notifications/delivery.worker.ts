import { AcceptedEvent, AlertMessageV2 } from '@audit/contracts';
import type { Pool } from '@audit/db';
import type { KafkaPublisher } from '@audit/kafka';
import { signedLedgerMessages } from '../../ledger-events/signed-ledger-messages';
import type { Logger } from '@audit/observability';
import { z } from 'zod';
import type { Clock } from '../../clock';
import { postOutbound } from '../../outbound/outbound-http';
import { OutboundRefusedError, type OutboundPolicy } from '../../outbound/outbound-policy';
import { withProjectorWriter } from '../../projections/postgres/tenant-reader';
import { notificationBody, type ChannelFormat } from './notification-payload';
import { retryDelayMs, signWebhook } from './webhook-signature';

export interface DeliveryOptions {
  maxAttempts: number;
  backoffMs: number;
  timeoutMs: number;
  /** How long a claimed row stays invisible to other workers while it is being sent. */
  leaseMs?: number;
  batchSize?: number;
  /** The service credential the ledger checks on the alert events this worker hands it. */
  serviceSecrets: readonly string[];
}

interface OutboxRow {
  id: string;
  tenant: string;
  alert_id: string;
  kind: 'alert-message' | 'ledger-event' | 'webhook';
  channel: string | null;
  payload: unknown;
  attempts: number;
}

const WebhookPayload = z.object({ message: AlertMessageV2, summary: z.string() });

/**
 * What a tenant sees of a failed delivery. The receiver's status, body and the socket's error stay in the
 * log: echoed back they would let a tenant admin map which internal ports answer and how.
 */
export const DELIVERY_FAILED = 'the receiver did not accept the delivery (details in the service log)';
export const DELIVERY_REFUSED = 'the channel URL is not allowed by the outbound policy';

/**
 * Drains `query.alert_outbox`: claims due rows with a lease (FOR UPDATE SKIP LOCKED, so several
 * instances share the work and a crashed worker's rows come back when the lease ends), publishes alert
 * messages and ledger events to Kafka (retried until Kafka takes them), and POSTs webhooks, signed, with
 * exponential backoff; after the last attempt the row stays as a dead letter (`status = 'dead'`).
 * Delivery is at-least-once: receivers dedupe by `X-Delivery-Id`.
 */
export class DeliveryWorker {
  private readonly leaseMs: number;
  private readonly batchSize: number;

  constructor(
    private readonly pool: Pool,
    private readonly publisher: KafkaPublisher,
    private readonly clock: Clock,
    private readonly options: DeliveryOptions,
    private readonly logger: Logger,
    private readonly outbound: OutboundPolicy,
  ) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.batchSize = options.batchSize ?? 100;
  }

  /** One pass over the due rows; returns how many rows it settled (delivered or dead). */
  async runOnce(): Promise<{ delivered: number; failed: number; dead: number }> {
    const now = this.clock();
    const rows = await withProjectorWriter(this.pool, async (client) => {
      const { rows: due } = await client.query<OutboxRow>(
        `SELECT id, tenant, alert_id, kind, channel, payload, attempts FROM query.alert_outbox
          WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [now.toISOString(), this.batchSize],
      );
      if (due.length > 0) {
        await client.query('UPDATE query.alert_outbox SET next_attempt_at = $2 WHERE id = ANY($1)', [due.map((r) => r.id), new Date(now.getTime() + this.leaseMs).toISOString()]);
      }
      return due;
    });
    const counts = { delivered: 0, failed: 0, dead: 0 };
    if (rows.length === 0) return counts;
    // Webhooks do not wait for Kafka: a slow broker must not delay the page to the on-call person.
    await Promise.all([this.publishKafka(rows.filter((r) => r.kind !== 'webhook'), counts), ...rows.filter((r) => r.kind === 'webhook').map((r) => this.deliverWebhook(r, counts))]);
    return counts;
  }

  private async publishKafka(rows: OutboxRow[], counts: { delivered: number; failed: number }): Promise<void> {
    if (rows.length === 0) return;
    try {
      const messages = rows.filter((r) => r.kind === 'alert-message').map((r) => ({ key: r.tenant, value: AlertMessageV2.parse(r.payload) }));
      const events = signedLedgerMessages(this.options.serviceSecrets, rows.filter((r) => r.kind === 'ledger-event').map((r) => AcceptedEvent.parse(r.payload)));
      if (messages.length > 0) await this.publisher.publish('alerts', messages, { timeoutMs: 10_000 });
      if (events.length > 0) await this.publisher.publish('ingested', events, { timeoutMs: 10_000 });
      await this.settle(rows.map((r) => r.id), 'delivered', null);
      counts.delivered += rows.length;
    } catch (error) {
      // Kafka being away is transient: keep the rows pending and retry after a short pause, never drop them.
      this.logger.warn({ err: error, rows: rows.length }, 'could not publish alert messages; will retry');
      await this.retryLater(rows, String(error), 1_000);
      counts.failed += rows.length;
    }
  }

  private async deliverWebhook(row: OutboxRow, counts: { delivered: number; failed: number; dead: number }): Promise<void> {
    const attempt = row.attempts + 1;
    const channel = await withProjectorWriter(this.pool, async (client) => {
      const { rows } = await client.query<{ url: string; format: ChannelFormat; secret: string }>('SELECT url, format, secret FROM query.alert_channels WHERE tenant = $1 AND name = $2', [row.tenant, row.channel]);
      return rows[0];
    });
    let error: string;
    let detail: string;
    if (!channel) {
      error = detail = `channel "${row.channel}" does not exist`;
    } else {
      const payload = WebhookPayload.parse(row.payload);
      const body = notificationBody(channel.format, payload.message, payload.summary);
      // Real time, not the injected clock: the receiver checks this against its own clock.
      const timestamp = Math.floor(Date.now() / 1000);
      try {
        const res = await postOutbound(this.outbound, channel.url, {
          headers: {
            'content-type': 'application/json',
            'user-agent': 'audit-ledger-alerting/1',
            'x-signature': signWebhook(channel.secret, timestamp, body),
            'x-signature-timestamp': String(timestamp),
            'x-delivery-id': row.id,
            'x-alert-id': row.alert_id,
          },
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs),
          maxBodyBytes: 0,
        });
        if (res.status >= 200 && res.status < 300) {
          await this.settle([row.id], 'delivered', null, attempt);
          counts.delivered++;
          this.logger.info({ tenant: row.tenant, alertId: row.alert_id, channel: row.channel, attempt }, 'webhook delivered');
          return;
        }
        error = DELIVERY_FAILED;
        detail = `HTTP ${res.status}`;
      } catch (e) {
        const cause = e instanceof Error ? (e.cause as { code?: string; message?: string } | undefined) : undefined;
        error = e instanceof OutboundRefusedError ? DELIVERY_REFUSED : DELIVERY_FAILED;
        detail = e instanceof Error ? `${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}${cause ? `: ${cause.code ?? cause.message ?? ''}` : ''}`.trim() : String(e);
      }
    }
    if (!channel || attempt >= this.options.maxAttempts) {
      await this.settle([row.id], 'dead', error, attempt);
      counts.dead++;
      this.logger.error({ tenant: row.tenant, alertId: row.alert_id, channel: row.channel, attempt, error: detail }, 'webhook delivery failed for the last time: dead letter');
      return;
    }
    const delay = retryDelayMs(attempt, this.options.backoffMs);
    await this.retryLater([row], error, delay, attempt);
    counts.failed++;
    this.logger.warn({ tenant: row.tenant, alertId: row.alert_id, channel: row.channel, attempt, delay, error: detail }, 'webhook delivery failed; will retry');
  }

  private async settle(ids: string[], status: 'delivered' | 'dead', error: string | null, attempts?: number): Promise<void> {
    await withProjectorWriter(this.pool, (client) =>
      client.query(`UPDATE query.alert_outbox SET status = $2, last_error = $3, done_at = $4, attempts = COALESCE($5, attempts + 1) WHERE id = ANY($1)`, [
        ids,
        status,
        error,
        this.clock().toISOString(),
        attempts ?? null,
      ]),
    );
  }

  private async retryLater(rows: OutboxRow[], error: string, delayMs: number, attempts?: number): Promise<void> {
    await withProjectorWriter(this.pool, (client) =>
      client.query(`UPDATE query.alert_outbox SET attempts = COALESCE($4, attempts + 1), last_error = $2, next_attempt_at = $3 WHERE id = ANY($1)`, [
        rows.map((r) => r.id),
        error.slice(0, 2000),
        new Date(this.clock().getTime() + delayMs).toISOString(),
        attempts ?? null,
      ]),
    );
  }
}
