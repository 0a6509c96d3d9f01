import { createHash, randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { mintDevToken, type Role } from '@audit/auth';
import { parseEnv } from '@audit/config';
import { AcceptedEvent, topicName, type AuditEventInput, type CommittedRecord } from '@audit/contracts';
import type { Pool } from '@audit/db';
import { createKafka, KafkaPublisher, type Kafka } from '@audit/kafka';
import { createLogger, type Logger } from '@audit/observability';
import { LOGGER } from '@audit/observability/nest';
import { KAFKA, OPENSEARCH, PG_POOL } from '@audit/service-shell';
import { anAcceptedEvent } from '@audit/testing';
import { QueryEnv, type QueryConfig } from '../../src/config';
import { createQueryApp } from '../../src/query.app';

/**
 * A query service booted in-process against the real Kafka, Postgres and OpenSearch, isolated by a topic
 * namespace, an index prefix and consumer group names of its own; plus a stand-in for the ledger that
 * publishes well-formed CommittedRecords (gapless seq and a hash chain per tenant) on the namespaced topic.
 */
export class QueryHarness {
  readonly ns = `qt-${randomBytes(4).toString('hex')}`;
  readonly prefix = `qt${randomBytes(4).toString('hex')}-events`;
  app!: NestFastifyApplication;
  config!: QueryConfig;
  private publisher!: KafkaPublisher;
  private readonly seqs = new Map<string, { seq: number; hash: string }>();
  readonly published: CommittedRecord[] = [];
  readonly reads: AcceptedEvent[] = [];
  private readsConsumer: ReturnType<Kafka['consumer']> | undefined;

  async start(env: NodeJS.ProcessEnv = {}): Promise<this> {
    this.config = parseEnv(QueryEnv, {
      ...process.env,
      LOG_LEVEL: 'warn',
      KAFKA_TOPIC_NAMESPACE: this.ns,
      OPENSEARCH_INDEX_PREFIX: this.prefix,
      QUERY_CONSUMER_GROUP_PREFIX: this.ns,
      ...env,
    });
    this.app = await createQueryApp(this.config, createLogger('query', 'warn'));
    this.publisher = new KafkaPublisher(this.kafka, { namespace: this.ns });
    return this;
  }

  get kafka(): Kafka {
    return this.app.get<Kafka>(KAFKA);
  }
  get pool(): Pool {
    return this.app.get<Pool>(PG_POOL);
  }
  get logger(): Logger {
    return this.app.get<Logger>(LOGGER);
  }
  get opensearch(): OpenSearchClient {
    return this.app.get<OpenSearchClient>(OPENSEARCH);
  }

  /** Commits events for a tenant as the ledger would: next seq, chained hash. */
  async commit(tenant: string, ...inputs: Partial<AuditEventInput>[]): Promise<CommittedRecord[]> {
    const records = inputs.map((input) => this.nextRecord(tenant, input));
    await this.publishRecords(records);
    return records;
  }

  /** Publishes records as they are (duplicates, replays). */
  async publishRecords(records: CommittedRecord[]): Promise<void> {
    await this.publisher.publish(
      'committed',
      records.map((r) => ({ key: r.event.tenant, value: r })),
    );
    this.published.push(...records);
  }

  private nextRecord(tenant: string, input: Partial<AuditEventInput>): CommittedRecord {
    const prev = this.seqs.get(tenant) ?? { seq: 0, hash: '0'.repeat(64) };
    const event = AcceptedEvent.parse(anAcceptedEvent(tenant, input));
    const leafHash = createHash('sha256').update(JSON.stringify(event)).digest('hex');
    const hash = createHash('sha256').update(prev.hash + leafHash).digest('hex');
    const seq = prev.seq + 1;
    this.seqs.set(tenant, { seq, hash });
    return { event, seq, recordedAt: new Date().toISOString(), leafHash, hash, prevHash: prev.hash };
  }

  async token(tenant: string, roles: Role[], sub = `reader-${roles.join('-') || 'none'}@example.com`): Promise<string> {
    return mintDevToken(
      { sub, tenant, roles, groups: ['security'] },
      { issuer: this.config.JWT_ISSUER, audience: this.config.JWT_AUDIENCE, hmacSecret: this.config.JWT_DEV_SECRET },
    );
  }

  async get(url: string, token?: string) {
    const res = await this.app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.statusCode, body: (res.body ? JSON.parse(res.body) : {}) as Json, contentType: String(res.headers['content-type'] ?? '') };
  }

  /** Collects the `audit.read` events the service publishes on its namespaced ingested topic. */
  async watchReads(): Promise<void> {
    const kafka = createKafka({ brokers: this.config.KAFKA_BROKERS, clientId: `${this.ns}-reads`, logger: createLogger('test', 'warn') });
    const consumer = kafka.consumer({ groupId: `${this.ns}-reads` });
    await consumer.connect();
    await consumer.subscribe({ topic: topicName('ingested', this.ns), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const parsed = AcceptedEvent.safeParse(JSON.parse(String(message.value)));
        if (parsed.success && parsed.data.type === 'audit.read') this.reads.push(parsed.data);
      },
    });
    this.readsConsumer = consumer;
  }

  async stop(): Promise<void> {
    await this.readsConsumer?.disconnect();
    const os = this.app ? this.opensearch : undefined;
    if (os) {
      const indices = await os.indices.get({ index: `${this.prefix}-*`, allow_no_indices: true, ignore_unavailable: true }).catch(() => undefined);
      const names = Object.keys(indices?.body ?? {});
      if (names.length > 0) await os.indices.delete({ index: names.join(',') }).catch(() => undefined);
      await os.indices.deleteIndexTemplate({ name: this.prefix }).catch(() => undefined);
    }
    await this.publisher?.disconnect();
    await this.app?.close();
  }
}

/** A response body: tests assert on its shape, so it is deliberately loose. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions, not trust, check these values
export type Json = Record<string, any>;

export const digest = (c: string) => `sha256:${c.repeat(64)}`;
