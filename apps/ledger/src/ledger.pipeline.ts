import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import { AcceptedEvent, toFieldIssues, topicName, uuidv7 } from '@audit/contracts';
import { ConsumerRunner, ensureTopics, KafkaPublisher, PartitionHeldError, publishDeadLetter, RewindRequest, type BatchContext, type ConsumedRecord, type Kafka } from '@audit/kafka';
import { activeTraceId, counter, gauge, Histogram, inSpan, tracer, type Logger, type ReadinessCheck, type Registry } from '@audit/observability';
import { InjectConfig, InjectKafka, InjectLogger, InjectMetrics, InjectPool, InjectReadinessChecks } from '@audit/service-shell';
import type { LedgerConfig } from './app.module';
import { classifyAppendError, PositionGapError } from './append/append-errors';
import { appendFailedEvent, AttributableEvent, InvalidAcceptedEventError } from './append/append-failed.event';
import { appendIsolating } from './append/isolate-failures';
import { describeMisplaced, misplacedPositions } from './append/position-check';
import { LedgerWriter, type AppendResult } from './append/ledger-writer';
import { assertServiceCredentials } from './append/service-credential.check';
import { Checkpointer } from './checkpoints/checkpointer';
import { maybeCrash } from './fault-injection';
import { OutboxRelay } from './outbox/outbox-relay';
import { SigningKeysProvider } from './keys/signing-keys.provider';

/**
 * Wires the writer to Kafka: consumes `audit.ingested.v1`, appends each batch in one transaction, then
 * lets the outbox relay announce the records and the checkpointer sign the new heads.
 */
@Injectable()
export class LedgerPipeline implements OnApplicationBootstrap, OnApplicationShutdown {
  private consumer: ConsumerRunner<AttributableEvent> | undefined;
  private readonly publisher: KafkaPublisher;
  private readonly writer: LedgerWriter;
  private readonly relay: OutboxRelay;
  readonly checkpointer: Checkpointer;
  private timers: NodeJS.Timeout[] = [];
  private readonly appended;
  private readonly duplicates;
  private readonly fenced;
  private readonly batchSeconds;
  private readonly lag;
  private readonly failures;
  private readonly metrics: Registry;
  private admin: ReturnType<Kafka['admin']> | undefined;
  /** Stored positions that cannot belong to the topic as it is now (another incarnation), described. */
  private misplaced: string[] = [];
  /** Per partition: the stored position we already rewound the consumer to once for a gap. */
  private readonly rewound = new Map<number, string>();

  constructor(
    @InjectConfig() private readonly config: LedgerConfig,
    @InjectPool() private readonly pool: Pool,
    @InjectKafka() private readonly kafka: Kafka,
    @InjectLogger() private readonly logger: Logger,
    @InjectMetrics() metrics: Registry,
    keys: SigningKeysProvider,
    @InjectReadinessChecks() readiness: ReadinessCheck[],
  ) {
    this.metrics = metrics;
    // A stalled or held partition of audit.ingested.v1 turns `/readyz` degraded, naming it.
    readiness.push({ name: 'consumer', check: async () => this.consumer?.readiness().check() });
    readiness.push({
      name: 'position',
      check: async () => {
        if (this.misplaced.length > 0) throw new Error(`degraded: ${this.misplaced.join('; ')}`);
      },
    });
    this.publisher = new KafkaPublisher(kafka, { namespace: config.KAFKA_TOPIC_NAMESPACE });
    this.writer = new LedgerWriter(pool, config.KAFKA_TOPIC_NAMESPACE);
    this.relay = new OutboxRelay(pool, this.publisher, logger, config.KAFKA_TOPIC_NAMESPACE);
    this.checkpointer = new Checkpointer(
      pool,
      keys.keys.signer,
      { origin: config.CHECKPOINT_ORIGIN, heartbeatMs: config.CHECKPOINT_HEARTBEAT_MS, namespace: config.KAFKA_TOPIC_NAMESPACE },
      this.publisher,
      logger,
    );
    this.appended = counter(metrics, 'ledger_records_appended_total', 'Records appended to the ledger');
    this.duplicates = counter(metrics, 'ledger_duplicates_skipped_total', 'Events skipped because their id was already in the ledger');
    this.fenced = counter(metrics, 'ledger_fenced_events_total', 'Events below the stored partition position, refused (zombie writer or redelivery)');
    // Exemplars carry the trace id of a batch, so a slow bucket leads to its trace (OpenMetrics format).
    this.batchSeconds = new Histogram({
      name: 'ledger_append_batch_seconds',
      help: 'Time to append one batch in one transaction',
      registers: [metrics],
      enableExemplars: true,
    });
    this.lag = gauge(metrics, 'ledger_consumer_lag', 'Messages on audit.ingested.v1 not yet appended', ['partition']);
    this.failures = counter(metrics, 'ledger_append_failures_total', 'Accepted events that could not be appended: recorded as ledger.append_failed and dead-lettered');
  }

  async onApplicationBootstrap(): Promise<void> {
    const ns = this.config.KAFKA_TOPIC_NAMESPACE;
    await ensureTopics(this.kafka, [
      { name: topicName('ingested', ns) },
      { name: topicName('committed', ns) },
      { name: topicName('checkpoints', ns) },
      { name: topicName('dlq', ns) },
    ], { partitions: this.config.KAFKA_TOPIC_PARTITIONS, logger: this.logger });
    await this.publisher.connect();
    const topic = topicName('ingested', ns);
    this.admin = this.kafka.admin();
    await this.admin.connect();
    await this.checkPositions(topic);
    this.consumer = new ConsumerRunner<AttributableEvent>({
      kafka: this.kafka,
      groupId: this.groupId(),
      topic,
      // Only what attributes a message to a tenant's log; the rest is checked per record in commit().
      schema: AttributableEvent,
      // Not strict JSON (a lone surrogate, a duplicate key…) but attributable: recorded as failed too.
      attributeStrictRefusals: true,
      service: 'ledger',
      logger: this.logger,
      dlq: this.publisher,
      maxBytesPerPartition: 16 * 1024 * 1024,
      sessionTimeoutMs: this.config.LEDGER_SESSION_TIMEOUT_MS,
      partitionsConsumedConcurrently: this.config.LEDGER_PARTITION_CONCURRENCY,
      stallAfterMs: this.config.CONSUMER_STALL_SECONDS * 1000,
      metrics: this.metrics,
      // Also batches whose every message was dead-lettered: the stored position must move past them, or
      // the next batch would look like a gap.
      handleEmptyBatches: true,
      handle: (records, ctx) => this.append(records, ctx),
      // From the fetched batch too, so the lag stays true while a batch keeps failing.
      onBatchFetched: ({ partition, lag }) => this.lag.set({ partition: String(partition) }, lag),
      onBatchDone: ({ partition, lastOffset, highWatermark }) => this.lag.set({ partition: String(partition) }, Number(BigInt(highWatermark) - BigInt(lastOffset) - 1n)),
    });
    await this.consumer.start();
    // Anything left in the outbox by a previous crash goes out first; then poll as a safety net.
    void this.relay.kick();
    this.timers.push(setInterval(() => void this.relay.kick(), 500));
    this.timers.push(setInterval(() => void this.signDue(), this.config.CHECKPOINT_INTERVAL_MS));
    this.timers.push(setInterval(() => void this.checkPositions(topic), 5_000));
  }

  async onApplicationShutdown(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.consumer?.stop();
    await this.relay.kick();
    await this.publisher.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
  }

  /**
   * At start and every few seconds: a stored position beyond the topic's end belongs to another
   * incarnation of the topic. Said in the log and in `/readyz` before any new event arrives; cleared
   * once `audit-ledger ledger reset-position` moved it.
   */
  private async checkPositions(topic: string): Promise<void> {
    try {
      const groupId = this.groupId();
      const { rows } = await this.pool.query<{ partition: number; next_offset: string }>(
        'SELECT partition, next_offset FROM ledger.consumer_offsets WHERE group_id = $1 AND topic = $2',
        [groupId, topic],
      );
      if (rows.length === 0) {
        this.misplaced = [];
        return;
      }
      const highs = await this.admin!.fetchTopicOffsets(topic);
      const lines = misplacedPositions(
        rows.map((r) => ({ partition: r.partition, nextOffset: String(r.next_offset) })),
        highs.map((h) => ({ partition: h.partition, high: h.high })),
      ).map((m) => describeMisplaced(topic, groupId, m));
      for (const line of lines) if (!this.misplaced.includes(line)) this.logger.error({ topic }, line);
      this.misplaced = lines;
    } catch (error) {
      // The topic may be gone for a moment (being recreated): keep the last finding, try again later.
      this.logger.debug({ err: error }, 'partition position check failed; will retry');
    }
  }

  private groupId(): string {
    const ns = this.config.KAFKA_TOPIC_NAMESPACE;
    return ns ? `${ns}.${this.config.LEDGER_CONSUMER_GROUP}` : this.config.LEDGER_CONSUMER_GROUP;
  }

  private async append(records: ConsumedRecord<AttributableEvent>[], ctx: BatchContext): Promise<void> {
    const { topic, partition, lastOffset } = ctx;
    const max = this.config.LEDGER_MAX_BATCH;
    let due = false;
    // Where the next piece starts: the batch's first offset, then the position each piece stored.
    let from = ctx.firstOffset;
    try {
      if (records.length === 0) {
        const next = (BigInt(lastOffset) + 1n).toString();
        await this.commit([], topic, partition, from, next);
      }
      for (let i = 0; i < records.length; i += max) {
        const chunk = records.slice(i, i + max);
        const isLast = i + max >= records.length;
        const end = isLast ? lastOffset : (chunk[chunk.length - 1]?.offset ?? lastOffset);
        // One transaction for the chunk; only if that fails for what may be one record's fault is it split
        // to find that record, which is recorded as failed and dead-lettered while the rest is appended.
        await appendIsolating(chunk, (BigInt(end) + 1n).toString(), {
          append: async (part, nextOffset) => {
            // Before anything is written; a refused event is isolated, dead-lettered and recorded as failed.
            assertServiceCredentials(part, this.config.SERVICE_CREDENTIAL_SECRET);
            const r = await this.commit(part, topic, partition, from, nextOffset);
            from = nextOffset;
            due ||= r.appended >= this.config.CHECKPOINT_EVERY_N;
          },
          failed: async (record, error, nextOffset) => {
            await this.recordFailure(record, error, topic, partition, from, nextOffset);
            from = nextOffset;
          },
        });
      }
      this.rewound.delete(partition);
    } catch (error) {
      if (error instanceof PositionGapError) {
        // First time: the consumer's own offset may just be ahead (a recreated topic that kept the
        // group's offset): read again from the stored position. Again at the same place: those
        // messages are not on the topic any more; hold for the operator.
        if (this.rewound.get(partition) !== error.stored) {
          this.rewound.set(partition, error.stored);
          throw new RewindRequest(error.stored, error.message);
        }
        throw new PartitionHeldError(
          `${error.message} They are not on the topic any more, so nothing can be written from them. Find out where they went (DLQ, ingest logs); ` +
            `to go on without them run \`audit-ledger ledger reset-position --topic ${topic} --partition ${partition} --group ${this.groupId()} --to ${error.from} --reason <why>\`.`,
        );
      }
      // Never skip and never give up on a held partition: the runner pauses it and asks again later.
      if (classifyAppendError(error) === 'held') throw new PartitionHeldError((error as Error).message);
      throw error;
    } finally {
      void this.relay.kick();
      if (due) void this.signDue();
    }
  }

  private async commit(chunk: ConsumedRecord<AttributableEvent>[], topic: string, partition: number, fromOffset: string, nextOffset: string): Promise<AppendResult> {
    const events = chunk.map((rec) => {
      if (rec.strictRefusal) {
        const { path, message } = rec.strictRefusal;
        throw new InvalidAcceptedEventError(`offset ${rec.offset} is not strict JSON: ${path ? `${path}: ` : ''}${message}`);
      }
      const parsed = AcceptedEvent.safeParse(rec.value);
      if (!parsed.success) {
        const issues = toFieldIssues(parsed.error).slice(0, 5).map((i) => `${i.path}: ${i.message}`);
        throw new InvalidAcceptedEventError(`offset ${rec.offset} is not a valid ${topic} event: ${issues.join('; ')}`);
      }
      return { event: parsed.data, offset: rec.offset };
    });
    const started = process.hrtime.bigint();
    const span = tracer('audit-ledger/ledger').startSpan('ledger.commit', { attributes: { 'ledger.batch.events': chunk.length, 'messaging.kafka.partition': partition } });
    const result = await inSpan(span, async () => {
      const r = await this.writer.append({
        events,
        position: { groupId: this.groupId(), topic, partition, nextOffset, fromOffset },
      });
      const traceId = activeTraceId();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.batchSeconds.observe({ value: seconds, labels: {}, ...(traceId ? { exemplarLabels: { traceId } } : {}) });
      this.logger.info({ traceId, partition, appended: r.appended, duplicates: r.duplicates, fenced: r.fenced, seconds }, 'batch committed');
      return r;
    });
    maybeCrash('after-db-commit');
    this.appended.inc(result.appended);
    this.duplicates.inc(result.duplicates);
    this.fenced.inc(result.fenced);
    if (result.fenced > 0) this.logger.warn({ fenced: result.fenced, partition }, 'skipped events below the stored position (already in the ledger)');
    if (result.duplicates > 0) this.logger.info({ duplicates: result.duplicates, partition }, 'skipped events already in the ledger');
    return result;
  }

  /**
   * An accepted event that cannot be appended, even alone: the original goes to the DLQ first (a crash
   * before the ledger write re-sends it there, never loses it), then the tenant's own log records the
   * failure (id, digest, reason) at the event's place, with the position moving past it. The failure
   * event is committed and announced like any record, so the built-in alert sees it.
   */
  private async recordFailure(record: ConsumedRecord<AttributableEvent>, error: unknown, topic: string, partition: number, fromOffset: string, nextOffset: string): Promise<void> {
    const now = new Date();
    const failure = appendFailedEvent({ original: record.value, bytes: record.bytes, error, topic, partition, offset: record.offset, id: uuidv7(now), at: now });
    this.logger.error({ err: error, tenant: record.value.tenant, eventId: record.value.id, partition, offset: record.offset, failureEventId: failure.id }, 'event cannot be appended: dead-lettered and recorded as ledger.append_failed');
    await publishDeadLetter(this.publisher, {
      service: 'ledger',
      topic,
      partition,
      offset: record.offset,
      key: record.key,
      value: record.bytes,
      reason: failure.reason ?? 'could not be appended',
    });
    // The failure event replaces the original, strict-JSON refusal included.
    const { strictRefusal: _refusal, ...position } = record;
    await this.commit([{ ...position, value: failure }], topic, partition, fromOffset, nextOffset);
    this.failures.inc();
  }

  private async signDue(): Promise<void> {
    try {
      await this.checkpointer.tick();
    } catch (error) {
      this.logger.warn({ err: error }, 'checkpointing failed; will retry');
    }
  }
}
