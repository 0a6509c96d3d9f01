import type { Consumer, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { toFieldIssues, TOPICS, type FieldIssue } from '@audit/contracts';
import { contextFromHeaders, inSpan, linksFrom, SpanKind, tracer } from '@audit/observability';
import type { KafkaPublisher } from './publisher';

export interface ConsumedRecord<T> {
  value: T;
  key: string | null;
  offset: string;
  partition: number;
  headers: IHeaders;
  timestamp: string;
}

export interface BatchContext {
  topic: string;
  partition: number;
  /** Offset of the last message in this batch (inclusive), valid or not. */
  lastOffset: string;
  /** Keeps the group membership alive during long work. */
  heartbeat(): Promise<void>;
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

  constructor(private readonly options: ConsumerRunnerOptions<T>) {
    this.maxAttempts = options.maxAttempts ?? 8;
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
        for (const p of poison) await this.deadLetter(batch.topic, batch.partition, p.message, p.reason, p.issues);
        let records = parsed.filter((p): p is Extract<Parsed<T>, { ok: true }> => p.ok).map((p) => p.record);
        const lastOffset = batch.lastOffset();
        const context: BatchContext = { topic: batch.topic, partition: batch.partition, lastOffset, heartbeat };
        for (let attempt = 1; records.length > 0; attempt++) {
          try {
            await this.handleInSpan(records, context);
            break;
          } catch (error) {
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
        resolveOffset(lastOffset);
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(lastOffset) + 1n).toString() }]);
        this.options.onBatchDone?.({ partition: batch.partition, count: batch.messages.length, lastOffset, highWatermark: batch.highWatermark });
        await heartbeat();
      },
    });
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
    let json: unknown;
    try {
      json = JSON.parse(message.value.toString('utf8'));
    } catch (error) {
      return { ok: false, message, reason: `not JSON: ${(error as Error).message}`, issues: [] };
    }
    const result = this.options.schema.safeParse(json);
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
      },
    };
  }

  private async deadLetter(topic: string, partition: number, message: KafkaMessage, reason: string, issues: FieldIssue[]): Promise<void> {
    this.options.logger.warn({ topic, partition, offset: message.offset, reason, issues }, 'message sent to the DLQ');
    await this.options.dlq.publish('dlq', [
      {
        key: message.key ? message.key.toString('utf8') : `${topic}:${partition}`,
        value: {
          reason,
          issues,
          sourceTopic: topic,
          partition,
          offset: message.offset,
          originalValue: (message.value ?? Buffer.alloc(0)).toString('base64'),
          originalKey: message.key ? message.key.toString('utf8') : null,
          failedAt: new Date().toISOString(),
          service: this.options.service,
        },
      },
    ]);
  }
}

export const DLQ_TOPIC = TOPICS.dlq.name;
