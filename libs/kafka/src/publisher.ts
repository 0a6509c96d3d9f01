import type { IHeaders, Kafka, Producer } from 'kafkajs';
import { topicName, TOPICS, type TopicKey, type TopicPayload } from '@audit/contracts';
import { context, inSpan, SpanKind, trace, traceHeaders, tracer } from '@audit/observability';

/**
 * Kafka refuses a record batch above the broker's message.max.bytes (1 MiB by default), and kafkajs puts
 * one send's messages for a partition into one batch: keep each send well below that.
 */
const MAX_SEND_BYTES = 512 * 1024;

export function chunkByBytes<M extends { value: string | Buffer | null }>(messages: M[], maxBytes: number): M[][] {
  const chunks: M[][] = [];
  let current: M[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = m.value === null ? 0 : typeof m.value === 'string' ? Buffer.byteLength(m.value) : m.value.length;
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export interface OutgoingMessage<K extends TopicKey> {
  key: string;
  value: TopicPayload<K>;
  headers?: IHeaders;
}

/**
 * Publishes validated payloads to the topics of the contract map. Idempotent producer with acks=all:
 * `publish` resolves only once every in-sync replica has the messages, so callers may then say "accepted".
 */
export class KafkaPublisher {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;

  private readonly namespace: string;

  constructor(kafka: Kafka, options: { transactionalId?: string; namespace?: string } = {}) {
    this.namespace = options.namespace ?? '';
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      ...(options.transactionalId ? { transactionalId: options.transactionalId } : {}),
    });
    this.producer.on(this.producer.events.DISCONNECT, () => {
      this.connected = undefined;
    });
  }

  connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    return this.connected;
  }

  /**
   * `prevalidated`: the caller built every value from data that already passed this topic's schema (the
   * ledger's outbox re-announces records it validated on the way in); skips a second full parse on the
   * hottest path. Everyone else validates on the way out.
   */
  async publish<K extends TopicKey>(
    topic: K,
    messages: OutgoingMessage<K>[],
    options: { timeoutMs?: number; prevalidated?: boolean } = {},
  ): Promise<void> {
    if (messages.length === 0) return;
    const { schema } = TOPICS[topic];
    const name = topicName(topic, this.namespace);
    const span = tracer('audit-ledger/kafka').startSpan(`publish ${name}`, {
      kind: SpanKind.PRODUCER,
      attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': name, 'messaging.batch.message_count': messages.length },
    });
    // Trace context rides along in each message; a message that carries its own (the ledger's outbox keeps
    // the context of the commit that produced it) keeps it.
    const propagated = traceHeaders(trace.setSpan(context.active(), span));
    const encoded = messages.map((m) => {
      // Validate on the way out too: a bug of ours must not put a message on a topic that consumers reject.
      const value = options.prevalidated ? m.value : schema.parse(m.value);
      return { key: m.key, value: JSON.stringify(value), headers: { ...propagated, ...m.headers } };
    });
    await inSpan(span, async () => {
      await this.connect();
      for (const chunk of chunkByBytes(encoded, MAX_SEND_BYTES)) {
        await this.producer.send({ topic: name, acks: -1, timeout: options.timeoutMs ?? 30_000, messages: chunk });
      }
    });
  }

  /** Sends already-encoded bytes (the DLQ keeps the original bytes of what it could not parse). */
  async publishRaw(topicName: string, messages: { key: string | null; value: string | Buffer; headers?: IHeaders }[]): Promise<void> {
    if (messages.length === 0) return;
    await this.connect();
    for (const chunk of chunkByBytes(messages, MAX_SEND_BYTES)) {
      await this.producer.send({ topic: topicName, acks: -1, messages: chunk });
    }
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
    this.connected = undefined;
  }
}
