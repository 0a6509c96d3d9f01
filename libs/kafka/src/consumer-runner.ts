import type { Consumer, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { parseStrictJson, toFieldIssues, TOPICS, type FieldIssue } from '@audit/contracts';
import { contextFromHeaders, Gauge, inSpan, linksFrom, SpanKind, tracer, type Registry } from '@audit/observability';
import { describeStall, PartitionProgress, type PartitionReport } from './partition-progress';
import type { KafkaPublisher } from './publisher';

export interface ConsumedRecord<T> {
  value: T;
  key: string | null;
  offset: string;
  partition: number;
  headers: IHeaders;
  timestamp: string;
  /** The message value exactly as it was on the topic (for digests and the DLQ). */
  bytes: Buffer;
  /**
   * Set only with `attributeStrictRefusals`: the strict-JSON rule this message breaks. Its `value` was
   * then decoded leniently (JSON.parse) and must not be trusted beyond what attributes it.
   */
  strictRefusal?: { rule: string; path: string; message: string };
}

export interface BatchContext {
  topic: string;
  partition: number;
  /** Offset of the first message in this batch, valid or not: where the consumer stood. */
  firstOffset: string;
  /** Offset of the last message in this batch (inclusive), valid or not. */
  lastOffset: string;
  /** Keeps the group membership alive during long work. */
  heartbeat(): Promise<void>;
}

/**
 * Thrown by a handler that must not go past this batch and must not skip it either (e.g. the ledger
 * found messages below its stored position that it never wrote: another topic incarnation). The runner
 * commits nothing, keeps retrying slowly without giving up, and reports the partition as held (stalled,
 * with this reason) until the handler accepts the batch, typically after an operator acted.
 */
export class PartitionHeldError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'PartitionHeldError';
  }
}

/**
 * Thrown by a handler that must see the partition again from `offset` (e.g. the ledger found the batch
 * starts above the position it stored: messages in between never reached it). The runner seeks there and
 * commits nothing.
 */
export class RewindRequest extends Error {
  constructor(
    readonly offset: string,
    reason: string,
  ) {
    super(reason);
    this.name = 'RewindRequest';
  }
}

/** Thrown by a handler for one message it can never process (not a transient failure): it goes to the DLQ. */
export class PoisonMessageError extends Error {
  constructor(
    readonly offset: string,
    reason: string,
  ) {
    super(reason);
    this.name = 'PoisonMessageError';
  }
}

export interface ConsumerRunnerOptions<T> {
  /**
   * A message that is JSON but breaks a strict-JSON rule (duplicate key, lone surrogate, inexact number,
   * depth) goes to the DLQ by default. With this, it is decoded leniently and handed to the handler with
   * `strictRefusal` set, for a handler that must account for every message (the ledger records it as
   * failed in the tenant's log, then dead-letters it) rather than let it vanish into the DLQ.
   */
  attributeStrictRefusals?: boolean;
  kafka: Kafka;
  groupId: string;
  topic: string;
  schema: z.ZodType<T>;
  service: string;
  logger: Logger;
  dlq: KafkaPublisher;
  handle(records: ConsumedRecord<T>[], context: BatchContext): Promise<void>;
  /** Attempts at one batch before the consumer gives up and restarts from the last committed offset. */
  maxAttempts?: number;
  fromBeginning?: boolean;
  maxBytesPerPartition?: number;
  /** How long a silent member keeps its partitions (a SIGKILLed instance holds them this long). */
  sessionTimeoutMs?: number;
  /**
   * Partitions whose batches are handled at the same time (default 1). Batches of one partition are
   * always handled in order, one after the other; the handler must be safe to run for two partitions
   * at once.
   */
  partitionsConsumedConcurrently?: number;
  onBatchDone?(info: { partition: number; count: number; lastOffset: string; highWatermark: string }): void;
  /** Called when a batch was fetched, before it is handled: `lag` counts from its first offset, so it stays true while the batch fails. */
  onBatchFetched?(info: { partition: number; firstOffset: string; highWatermark: string; lag: number }): void;
  /** A partition with waiting messages that does not move for this long is stalled (default 60 s). */
  stallAfterMs?: number;
  /** Where `consumer_partition_stalled` and `consumer_partition_lag` are reported. */
  metrics?: Registry;
  /**
   * Call the handler also for a batch with no valid record (all dead-lettered), so a handler that stores
   * its own position (the ledger) moves it past them too. Default false.
   */
  handleEmptyBatches?: boolean;
  /** How long to wait between attempts at a held batch (default 2 s). */
  heldRetryMs?: number;
  clock?: () => number;
}

type Parsed<T> = { ok: true; record: ConsumedRecord<T> } | { ok: false; message: KafkaMessage; reason: string; issues: FieldIssue[] };

/**
 * parse → handle → commit. Messages that do not parse go to the DLQ with the reason and their original
 * bytes, and never stall the partition. Handler failures are retried with backoff (bounded); offsets are
 * committed only after the handler succeeded, so a crash re-delivers rather than loses.
 */
export class ConsumerRunner<T> {
  private consumer: Consumer | undefined;
  private readonly maxAttempts: number;
  private readonly progress: PartitionProgress;
  private readonly now: () => number;

  constructor(private readonly options: ConsumerRunnerOptions<T>) {
    this.maxAttempts = options.maxAttempts ?? 8;
    this.progress = new PartitionProgress(options.stallAfterMs ?? 60_000);
    this.now = options.clock ?? Date.now;
    if (options.metrics) registerProgressMetrics(options.metrics, this);
  }

  /** Per-partition lag and stall state of this consumer, right now. */
  partitions(): PartitionReport[] {
    return this.progress.report(this.now());
  }

  get topic(): string {
    return this.options.topic;
  }

  get groupId(): string {
    return this.options.groupId;
  }

  /** Lines naming each stalled or held partition; empty when every partition moves. */
  stalls(): string[] {
    return this.partitions()
      .filter((p) => p.stalled)
      .map((p) => describeStall(this.options.topic, p));
  }

  /** A readiness check (`/readyz`) that fails while any partition of this consumer is stalled or held. */
  readiness(name = `consumer:${this.options.groupId}`): { name: string; check(): Promise<void> } {
    return {
      name,
      check: async () => {
        const stalls = this.stalls();
        if (stalls.length > 0) throw new Error(`degraded: ${stalls.join('; ')}`);
      },
    };
  }

  async start(): Promise<void> {
    const { kafka, groupId, topic } = this.options;
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      rebalanceTimeout: Math.max(2 * (this.options.sessionTimeoutMs ?? 30_000), 10_000),
      heartbeatInterval: Math.min(3_000, Math.floor((this.options.sessionTimeoutMs ?? 30_000) / 3)),
      maxBytesPerPartition: this.options.maxBytesPerPartition ?? 4 * 1024 * 1024,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    // A partition handed to another member is no longer ours to report as stalled.
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const mine = new Set(payload.memberAssignment[topic] ?? []);
      for (const p of this.progress.report(this.now())) if (!mine.has(p.partition)) this.progress.forget(p.partition);
    });
    // kafkajs restarts a crashed consumer only for errors it deems retriable; under CPU pressure a
    // rebalance error ("coordinator is not aware of this member") can end it for good and silently stop
    // the projection. Start a fresh consumer instead: offsets were committed only after success.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.stopping) return;
      this.options.logger.error({ err: payload.error, groupId }, 'consumer crashed without restart; starting a new one');
      void this.restartAfterCrash(consumer);
    });
    await consumer.connect();
    // A topic created a moment ago may not be in every broker's metadata yet ("does not host this
    // topic-partition", retriable): kafkajs does not retry subscribe, so we do, briefly.
    for (let attempt = 1; ; attempt++) {
      try {
        await consumer.subscribe({ topic, fromBeginning: this.options.fromBeginning ?? true });
        break;
      } catch (error) {
        if (attempt >= 20 || (error as { retriable?: boolean }).retriable !== true) throw error;
        await new Promise((r) => setTimeout(r, 250 * Math.min(attempt, 8)));
      }
    }
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
        if (batch.messages.length === 0 || !isRunning() || isStale()) return;
        const parsed = batch.messages.map((m) => this.parse(m, batch.partition));
        const poison = parsed.filter((p): p is Extract<Parsed<T>, { ok: false }> => !p.ok);
        let records = parsed.filter((p): p is Extract<Parsed<T>, { ok: true }> => p.ok).map((p) => p.record);
        const lastOffset = batch.lastOffset();
        const firstOffset = batch.firstOffset() ?? batch.messages[0]!.offset;
        this.progress.fetched(batch.partition, firstOffset, batch.highWatermark, this.now());
        this.options.onBatchFetched?.({
          partition: batch.partition,
          firstOffset,
          highWatermark: batch.highWatermark,
          lag: Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(firstOffset))),
        });
        const context: BatchContext = { topic: batch.topic, partition: batch.partition, firstOffset, lastOffset, heartbeat };
        const mustHandle = () => records.length > 0 || this.options.handleEmptyBatches === true;
        for (let attempt = 1; mustHandle(); attempt++) {
          try {
            await this.handleInSpan(records, context);
            break;
          } catch (error) {
            this.progress.failed(batch.partition, error instanceof Error ? error.message : String(error));
            if (error instanceof PartitionHeldError) {
              this.hold(consumer, batch.topic, batch.partition, error.message);
              return;
            }
            if (error instanceof RewindRequest) {
              this.options.logger.warn({ topic: batch.topic, partition: batch.partition, from: firstOffset, to: error.offset, reason: error.message }, 'rewinding the partition: nothing committed');
              consumer.seek({ topic: batch.topic, partition: batch.partition, offset: error.offset });
              return;
            }
            if (error instanceof PoisonMessageError) {
              const bad = records.find((r) => r.offset === error.offset);
              const original = batch.messages.find((m) => m.offset === error.offset);
              if (bad && original) {
                await this.deadLetter(batch.topic, batch.partition, original, error.message, []);
                records = records.filter((r) => r !== bad);
                continue;
              }
            }
            if (attempt >= this.maxAttempts || !isRunning()) throw error;
            const delay = Math.min(5_000, 100 * 2 ** attempt);
            this.options.logger.warn({ err: error, attempt, partition: batch.partition, delay }, 'batch failed, retrying');
            await new Promise((r) => setTimeout(r, delay));
            await heartbeat();
          }
        }
        // After the handler, before the commit: a batch retried or held is not dead-lettered again meanwhile.
        for (const p of poison) await this.deadLetter(batch.topic, batch.partition, p.message, p.reason, p.issues);
        resolveOffset(lastOffset);
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(lastOffset) + 1n).toString() }]);
        this.progress.done(batch.partition, lastOffset, batch.highWatermark, this.now());
        this.options.onBatchDone?.({ partition: batch.partition, count: batch.messages.length, lastOffset, highWatermark: batch.highWatermark });
        await heartbeat();
      },
    });
  }

  /**
   * Never skip and never give up on a held batch: nothing is committed or resolved, the partition is
   * paused (so the others go on) and resumed a little later, which fetches the same batch again.
   */
  private hold(consumer: Consumer, topic: string, partition: number, reason: string): void {
    if (this.progress.report(this.now()).find((p) => p.partition === partition)?.held !== reason) {
      this.options.logger.error({ topic, partition, reason }, 'partition held: nothing is committed or skipped until this is resolved');
    }
    this.progress.held(partition, reason);
    consumer.pause([{ topic, partitions: [partition] }]);
    setTimeout(() => {
      if (this.consumer === consumer && !this.stopping) consumer.resume([{ topic, partitions: [partition] }]);
    }, this.options.heldRetryMs ?? 2_000).unref();
  }

  /**
   * One CONSUMER span per batch: its parent is the first message's trace context (so a single event's
   * trace stays one connected tree) and it links to every message's context.
   */
  private handleInSpan(records: ConsumedRecord<T>[], ctx: BatchContext): Promise<void> {
    const contexts = records.map((r) => contextFromHeaders(r.headers as Record<string, unknown>));
    const span = tracer('audit-ledger/kafka').startSpan(
      `process ${ctx.topic}`,
      {
        kind: SpanKind.CONSUMER,
        links: linksFrom(contexts),
        attributes: {
          'messaging.system': 'kafka',
          'messaging.destination.name': ctx.topic,
          'messaging.consumer.group.name': this.options.groupId,
          'messaging.batch.message_count': records.length,
        },
      },
      contexts[0],
    );
    return inSpan(span, () => this.options.handle(records, ctx));
  }

  private async restartAfterCrash(crashed: Consumer): Promise<void> {
    await crashed.disconnect().catch(() => undefined);
    for (let attempt = 1; !this.stopping && this.consumer === crashed; attempt++) {
      await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** attempt)));
      try {
        await this.start();
        this.restarts++;
        return;
      } catch (error) {
        this.options.logger.warn({ err: error, attempt }, 'consumer restart failed; retrying');
        this.consumer = crashed;
      }
    }
  }

  /** How often this runner replaced a crashed consumer (for tests and metrics). */
  restarts = 0;
  private stopping = false;

  async stop(): Promise<void> {
    this.stopping = true;
    // disconnect() waits for the batch in hand to finish, then leaves the group: a clean drain on SIGTERM.
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }

  private parse(message: KafkaMessage, partition: number): Parsed<T> {
    if (!message.value) return { ok: false, message, reason: 'empty message value', issues: [] };
    let text: string;
    try {
      text = UTF8.decode(message.value);
    } catch {
      return { ok: false, message, reason: 'not JSON: the value is not valid UTF-8', issues: [] };
    }
    // The contract's strict decoder, not JSON.parse: a duplicate key, a lone surrogate or an inexact
    // number would otherwise reach the handler (and, in the ledger, stall the partition on a record
    // canonical JSON cannot encode).
    const decoded = parseStrictJson(text);
    let value: unknown;
    let strictRefusal: ConsumedRecord<T>['strictRefusal'];
    if (decoded.ok) value = decoded.value;
    else {
      const { error } = decoded;
      if (error.kind === 'syntax') return { ok: false, message, reason: `not JSON: ${error.message}`, issues: [] };
      const refused = { ok: false as const, message, reason: `not strict JSON (${error.rule}): ${error.message}`, issues: [{ path: error.path, message: error.message }] };
      if (!this.options.attributeStrictRefusals) return refused;
      try {
        value = JSON.parse(text);
      } catch {
        return refused;
      }
      strictRefusal = { rule: error.rule, path: error.path, message: error.message };
    }
    const result = this.options.schema.safeParse(value);
    if (!result.success) {
      const issues = toFieldIssues(result.error);
      return { ok: false, message, reason: `does not match the ${this.options.topic} schema`, issues };
    }
    return {
      ok: true,
      record: {
        value: result.data,
        key: message.key ? message.key.toString('utf8') : null,
        offset: message.offset,
        partition,
        headers: message.headers ?? {},
        timestamp: message.timestamp,
        bytes: message.value,
        ...(strictRefusal ? { strictRefusal } : {}),
      },
    };
  }

  private async deadLetter(topic: string, partition: number, message: KafkaMessage, reason: string, issues: FieldIssue[]): Promise<void> {
    this.options.logger.warn({ topic, partition, offset: message.offset, reason, issues }, 'message sent to the DLQ');
    await publishDeadLetter(this.options.dlq, {
      service: this.options.service,
      topic,
      partition,
      offset: message.offset,
      key: message.key ? message.key.toString('utf8') : null,
      value: message.value ?? Buffer.alloc(0),
      reason,
      issues,
    });
  }
}

/**
 * Puts one original message on the DLQ with the reason (also for handlers that isolate a bad record
 * themselves). The original bytes travel base64-encoded, untouched.
 */
export async function publishDeadLetter(
  dlq: KafkaPublisher,
  m: { service: string; topic: string; partition: number; offset: string; key: string | null; value: Buffer; reason: string; issues?: FieldIssue[] },
): Promise<void> {
  await dlq.publish('dlq', [
    {
      key: m.key ?? `${m.topic}:${m.partition}`,
      value: {
        reason: m.reason,
        issues: m.issues ?? [],
        sourceTopic: m.topic,
        partition: m.partition,
        offset: m.offset,
        originalValue: m.value.toString('base64'),
        originalKey: m.key,
        failedAt: new Date().toISOString(),
        service: m.service,
      },
    },
  ]);
}

/**
 * `consumer_partition_stalled{group,topic,partition}` (0/1) and `consumer_partition_lag{…}`, computed at
 * scrape time from every runner reporting to the registry, so a stall shows even when nothing happens.
 */
interface ProgressSource {
  readonly groupId: string;
  readonly topic: string;
  partitions(): PartitionReport[];
}
const progressRunners = new WeakMap<Registry, Set<ProgressSource>>();
function registerProgressMetrics(registry: Registry, runner: ProgressSource): void {
  let runners = progressRunners.get(registry);
  if (!runners) {
    const set = new Set<ProgressSource>();
    runners = set;
    progressRunners.set(registry, set);
    const labelNames = ['group', 'topic', 'partition'];
    new Gauge({
      name: 'consumer_partition_stalled',
      help: 'Partition with waiting messages that has not moved for the stall threshold, or is held (1), else 0',
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const r of set) for (const p of r.partitions()) this.set({ group: r.groupId, topic: r.topic, partition: String(p.partition) }, p.stalled ? 1 : 0);
      },
    });
    new Gauge({
      name: 'consumer_partition_lag',
      help: 'Messages on the partition after the position of the consumer (from the last fetched high watermark)',
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const r of set) for (const p of r.partitions()) this.set({ group: r.groupId, topic: r.topic, partition: String(p.partition) }, p.lag);
      },
    });
  }
  runners.add(runner);
}

export const DLQ_TOPIC = TOPICS.dlq.name;

/** Fatal: invalid UTF-8 is refused rather than silently turned into U+FFFD. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });
