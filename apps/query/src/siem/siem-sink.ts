import { CommittedRecord } from '@audit/contracts';
import type { Pool } from '@audit/db';
import { ConsumerRunner, type BatchContext, type ConsumedRecord, type Kafka, type KafkaPublisher } from '@audit/kafka';
import type { Counter, Gauge, Histogram, Logger } from '@audit/observability';
import { positionsOf, toBatches, undelivered, type SinkBatch } from './siem-batch';
import type { OutboundPolicy } from '../outbound/outbound-policy';
import { SiemHttpSender, SinkStoppedError } from './siem-http.sender';
import { SiemPositionStore } from './siem-position.store';
import { decide } from './siem-retry';
import { redactUrl, type SiemSinkConfig } from './siem.config';

export interface SiemMetrics {
  delivered: Counter;
  requests: Counter;
  requestSeconds: Histogram;
  failing: Gauge;
  configError: Gauge;
  lastDelivered: Gauge;
}

export type SinkState = 'idle' | 'delivering' | 'retrying' | 'rejected' | 'stopped';

export interface SiemSinkStatus {
  name: string;
  format: SiemSinkConfig['format'];
  url: string;
  tenants: string[] | 'all';
  groupId: string;
  state: SinkState;
  delivered: number;
  consecutiveFailures: number;
  lastError: string | null;
  lastDeliveredAt: string | null;
}

export interface SiemSinkDeps {
  kafka: Kafka;
  /** Checks the receiver's address right before each connection (SIEM URLs are operator config, the same rule applies). */
  outbound: OutboundPolicy;
  pool: Pool;
  dlq: KafkaPublisher;
  logger: Logger;
  metrics: SiemMetrics;
  topic: string;
  groupId: string;
  token: string | undefined;
  clock?: () => Date;
}

/** Longest sleep between heartbeats while a batch waits for its next attempt. */
const HEARTBEAT_SLICE_MS = 2_000;

/**
 * One SIEM sink: its own consumer group on the committed topic, so a receiver that is down holds back
 * only this sink. For each Kafka batch it drops what the stored position says was delivered, cuts the rest
 * into requests, and sends each until the receiver acknowledges it (2xx) — then, and only then, moves the
 * per-tenant position forward. Kafka offsets are committed after the whole batch; after a crash the
 * stored position makes the re-read records a no-op, except the request that was in flight, which may
 * arrive twice (receivers dedupe on tenant + seq).
 */
export class SiemSink {
  private readonly runner: ConsumerRunner<CommittedRecord>;
  private readonly sender: SiemHttpSender;
  private readonly positions: SiemPositionStore;
  private readonly logger: Logger;
  private readonly stopController = new AbortController();
  private readonly clock: () => Date;
  private state: SinkState = 'idle';
  private delivered = 0;
  private consecutiveFailures = 0;
  private lastError: string | null = null;
  private lastDeliveredAt: Date | null = null;

  constructor(
    readonly config: SiemSinkConfig,
    private readonly deps: SiemSinkDeps,
  ) {
    this.clock = deps.clock ?? (() => new Date());
    this.logger = deps.logger.child({ sink: config.name, url: redactUrl(config.url) });
    this.sender = new SiemHttpSender(config, deps.token, deps.outbound);
    this.positions = new SiemPositionStore(deps.pool, config.name, deps.topic);
    this.runner = new ConsumerRunner<CommittedRecord>({
      kafka: deps.kafka,
      groupId: deps.groupId,
      topic: deps.topic,
      schema: CommittedRecord,
      service: 'query',
      logger: this.logger,
      dlq: deps.dlq,
      // The handler retries deliveries itself, forever; it only throws when stopping or when the group
      // rebalances under it (heartbeat fails), and then a few runner attempts are enough.
      maxAttempts: 3,
      handle: (consumed, context) => this.handle(consumed, context),
    });
    for (const gauge of [deps.metrics.failing, deps.metrics.configError]) gauge.set({ sink: config.name }, 0);
    deps.metrics.delivered.inc({ sink: config.name }, 0);
  }

  async start(): Promise<void> {
    await this.runner.start();
    this.logger.info({ format: this.config.format, tenants: this.config.tenants ?? 'all', groupId: this.deps.groupId }, 'SIEM sink started');
  }

  /** Stops consuming; the request in flight is abandoned (its records are sent again on the next start). */
  async stop(): Promise<void> {
    const stopped = this.runner.stop();
    // Let the consumer mark itself not running first, so the runner does not retry the abandoned batch.
    await new Promise((resolve) => setImmediate(resolve));
    this.stopController.abort();
    await stopped;
    this.state = 'stopped';
  }

  status(): SiemSinkStatus {
    return {
      name: this.config.name,
      format: this.config.format,
      url: redactUrl(this.config.url),
      tenants: this.config.tenants ?? 'all',
      groupId: this.deps.groupId,
      state: this.state,
      delivered: this.delivered,
      consecutiveFailures: this.consecutiveFailures,
      lastError: this.lastError,
      lastDeliveredAt: this.lastDeliveredAt?.toISOString() ?? null,
    };
  }

  private async handle(consumed: ConsumedRecord<CommittedRecord>[], context: BatchContext): Promise<void> {
    const records = consumed.map((c) => c.value);
    const tenants = [...new Set(records.map((r) => r.event.tenant))].filter((t) => !this.config.tenants || this.config.tenants.includes(t));
    if (tenants.length === 0) return;
    const owed = undelivered(records, await this.positions.load(tenants), this.config.tenants);
    const limits = { maxEvents: this.config.batchMaxEvents, maxBytes: this.config.batchMaxBytes };
    const queue = toBatches(owed, this.config, limits);
    while (queue.length > 0) {
      const batch = queue.shift()!;
      const result = await this.deliver(batch, context);
      if (result === 'split') {
        const half = Math.ceil(batch.records.length / 2);
        queue.unshift(...toBatches(batch.records, this.config, { ...limits, maxEvents: half }));
        continue;
      }
      const at = this.clock();
      await this.positions.advance(positionsOf(batch.records), at);
      this.delivered += batch.records.length;
      this.lastDeliveredAt = at;
      this.deps.metrics.delivered.inc({ sink: this.config.name }, batch.records.length);
      this.deps.metrics.lastDelivered.set({ sink: this.config.name }, at.getTime() / 1000);
      await context.heartbeat();
    }
    this.state = 'idle';
  }

  /** Sends one request until acknowledged; returns 'split' when the receiver says it is too large. */
  private async deliver(batch: SinkBatch, context: BatchContext): Promise<'delivered' | 'split'> {
    const sink = this.config.name;
    const signal = this.stopController.signal;
    if (this.state !== 'retrying' && this.state !== 'rejected') this.state = 'delivering';
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) throw new SinkStoppedError();
      const end = this.deps.metrics.requestSeconds.startTimer({ sink });
      const outcome = await this.sender.send(batch.body, signal);
      end();
      const decision = decide(outcome, attempt, batch.records.length, this.config);
      this.deps.metrics.requests.inc({ sink, outcome: decision.action });
      if (decision.action === 'delivered') {
        if (this.consecutiveFailures > 0) this.logger.info({ failures: this.consecutiveFailures }, 'SIEM receiver acknowledged again');
        this.consecutiveFailures = 0;
        this.lastError = null;
        this.state = 'delivering';
        this.deps.metrics.failing.set({ sink }, 0);
        this.deps.metrics.configError.set({ sink }, 0);
        return 'delivered';
      }
      const reason = this.redact(decision.reason);
      if (decision.action === 'split') {
        this.logger.warn({ events: batch.records.length, reason }, 'SIEM receiver says the request is too large; splitting it');
        return 'split';
      }
      this.consecutiveFailures++;
      this.lastError = reason;
      this.deps.metrics.failing.set({ sink }, 1);
      const first = batch.records[0]!;
      const where = { tenant: first.event.tenant, fromSeq: first.seq, events: batch.records.length, attempt, delayMs: decision.delayMs, reason };
      if (decision.action === 'rejected') {
        this.state = 'rejected';
        this.deps.metrics.configError.set({ sink }, 1);
        this.logger.error(where, 'SIEM receiver refused the request as wrong (4xx): check the sink configuration (URL, token, index); holding the position and retrying slowly');
      } else {
        this.state = 'retrying';
        this.deps.metrics.configError.set({ sink }, 0);
        this.logger.warn(where, 'SIEM delivery failed; retrying');
      }
      await this.sleep(decision.delayMs, context);
    }
  }

  /** Waits, heartbeating so the group keeps this member's partitions; ends early when stopping. */
  private async sleep(ms: number, context: BatchContext): Promise<void> {
    const signal = this.stopController.signal;
    const until = Date.now() + ms;
    while (!signal.aborted) {
      const left = until - Date.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, HEARTBEAT_SLICE_MS));
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
        signal.addEventListener('abort', done);
      });
      if (!signal.aborted) await context.heartbeat();
    }
    throw new SinkStoppedError();
  }

  /** A receiver's error text never carries the token into logs or status. */
  private redact(text: string): string {
    return this.deps.token ? text.split(this.deps.token).join('***') : text;
  }
}
