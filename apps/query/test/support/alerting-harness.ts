import { createHash, randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import type { Consumer } from 'kafkajs';
import { mintDevToken, type Role } from '@audit/auth';
import { parseEnv } from '@audit/config';
import { AcceptedEvent, topicName, TOPICS, type AuditEventInput, type CommittedRecord, type TopicKey } from '@audit/contracts';
import type { Pool } from '@audit/db';
import { createKafka, ensureTopics, KafkaPublisher, type Kafka } from '@audit/kafka';
import { createLogger } from '@audit/observability';
import { KAFKA, OPENSEARCH, PG_POOL } from '@audit/service-shell';
import { anAcceptedEvent, expectEventually } from '@audit/testing';
import { AlertingRuntime } from '../../src/alerting/alerting.runtime';
import { QueryEnv, type QueryConfig } from '../../src/config';
import { createQueryApp } from '../../src/query.app';

/**
 * The query service with alerting, in-process against the real Kafka, Postgres and OpenSearch, on its own
 * topic namespace, index prefix and consumer groups, with a clock the test sets. Stands in for the
 * ledger by publishing CommittedRecords (gapless seq, chained hash) on the namespaced committed topic.
 */
export class AlertingHarness {
  readonly ns = `al-${randomBytes(4).toString('hex')}`;
  readonly prefix = `al${randomBytes(4).toString('hex')}-events`;
  now = new Date('2026-11-25T12:00:00.000Z');
  /** The service's clock: the settable `now` unless a test (end to end, benchmark) wants real time. */
  clock: () => Date = () => this.now;
  app!: NestFastifyApplication;
  config!: QueryConfig;
  private publisher!: KafkaPublisher;
  private readonly seqs = new Map<string, { seq: number; hash: string }>();
  readonly topics = new Map<TopicKey, unknown[]>();
  private readonly taps: Consumer[] = [];
  private env: NodeJS.ProcessEnv = {};

  async start(env: NodeJS.ProcessEnv = {}): Promise<this> {
    this.env = env;
    this.config = parseEnv(QueryEnv, {
      ...process.env,
      LOG_LEVEL: 'warn',
      KAFKA_TOPIC_NAMESPACE: this.ns,
      OPENSEARCH_INDEX_PREFIX: this.prefix,
      QUERY_CONSUMER_GROUP_PREFIX: this.ns,
      QUERY_PROJECTORS: 'opensearch',
      ALERT_SCHEDULE_INTERVAL_MS: '0',
      ALERT_DELIVERY_POLL_MS: '100',
      // Test webhook receivers listen on 127.0.0.1 only; every other loopback/private address stays refused.
      OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32',
      ...env,
    });
    this.app = await createQueryApp(this.config, createLogger('query', 'warn'), { clock: () => this.clock() });
    this.publisher ??= new KafkaPublisher(this.kafka, { namespace: this.ns });
    return this;
  }

  /** Stops the app (consumers commit and leave) and boots a fresh one on the same groups and tables. */
  async restart(): Promise<void> {
    await this.app.close();
    await this.start(this.env);
  }

  get kafka(): Kafka {
    return this.app.get<Kafka>(KAFKA);
  }
  get pool(): Pool {
    return this.app.get<Pool>(PG_POOL);
  }
  get opensearch(): OpenSearchClient {
    return this.app.get<OpenSearchClient>(OPENSEARCH);
  }
  get alerting(): AlertingRuntime {
    return this.app.get(AlertingRuntime);
  }

  async commit(tenant: string, ...inputs: Partial<AuditEventInput>[]): Promise<CommittedRecord[]> {
    const records = this.records(tenant, ...inputs);
    await this.publisher.publish('committed', records.map((r) => ({ key: r.event.tenant, value: r })));
    return records;
  }

  /** The next committed records of the tenant (seq, chain), not published. */
  records(tenant: string, ...inputs: Partial<AuditEventInput>[]): CommittedRecord[] {
    return inputs.map((input) => {
      const prev = this.seqs.get(tenant) ?? { seq: 0, hash: '0'.repeat(64) };
      const event = AcceptedEvent.parse(anAcceptedEvent(tenant, input));
      const leafHash = createHash('sha256').update(JSON.stringify(event)).digest('hex');
      const hash = createHash('sha256').update(prev.hash + leafHash).digest('hex');
      this.seqs.set(tenant, { seq: prev.seq + 1, hash });
      return { event, seq: prev.seq + 1, recordedAt: new Date().toISOString(), leafHash, hash, prevHash: prev.hash };
    });
  }

  async republish(records: CommittedRecord[]): Promise<void> {
    await this.publisher.publish('committed', records.map((r) => ({ key: r.event.tenant, value: r })));
  }

  async publish<K extends TopicKey>(key: K, tenant: string, values: unknown[]): Promise<void> {
    await this.publisher.publish(key, values.map((value) => ({ key: tenant, value: value as never })));
  }

  /** Waits until the alerting consumer applied the tenant's records up to `seq`. */
  async evaluated(tenant: string, seq: number): Promise<void> {
    await expectEventually(async () => {
      const { rows } = await this.pool.query<{ last_seq: string }>('SELECT last_seq FROM query.alert_positions WHERE tenant = $1', [tenant]);
      expect(Number(rows[0]?.last_seq ?? 0)).toBeGreaterThanOrEqual(seq);
    }, { timeoutMs: 30_000 });
  }

  /** Waits until OpenSearch holds `count` documents of the tenant (scheduled rules read them). */
  async searchable(tenant: string, count: number): Promise<void> {
    await expectEventually(async () => {
      await this.opensearch.indices.refresh({ index: `${this.prefix}-${tenant}_*`, allow_no_indices: true, ignore_unavailable: true });
      const res = await this.opensearch.count({ index: `${this.prefix}-${tenant}_*`, allow_no_indices: true, ignore_unavailable: true });
      expect(res.body.count).toBe(count);
    }, { timeoutMs: 30_000, intervalMs: 300 });
  }

  async alerts(tenant: string, ruleId?: string): Promise<{ id: string; rule_id: string; group_key: string; state: string; fire_count: number; matched_seqs: string[] }[]> {
    const { rows } = await this.pool.query('SELECT * FROM query.alerts WHERE tenant = $1 AND ($2::text IS NULL OR rule_id = $2) ORDER BY first_fired_at, id', [tenant, ruleId ?? null]);
    return rows;
  }

  async outbox(tenant: string, kind?: string): Promise<{ id: string; alert_id: string; kind: string; channel: string | null; status: string; attempts: number; payload: Record<string, unknown>; last_error: string | null }[]> {
    const { rows } = await this.pool.query('SELECT * FROM query.alert_outbox WHERE tenant = $1 AND ($2::text IS NULL OR kind = $2) ORDER BY id', [tenant, kind ?? null]);
    return rows;
  }

  /** Collects every message of a namespaced topic from the beginning. */
  async tap(key: TopicKey): Promise<unknown[]> {
    const list: unknown[] = [];
    this.topics.set(key, list);
    const kafka = createKafka({ brokers: this.config.KAFKA_BROKERS, clientId: `${this.ns}-tap`, logger: createLogger('test', 'silent') });
    await ensureTopics(kafka, [{ name: topicName(key, this.ns) }]);
    const consumer = kafka.consumer({ groupId: `${this.ns}-tap-${key}`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: topicName(key, this.ns), fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void list.push(TOPICS[key].schema.parse(JSON.parse(String(message.value)))) });
    this.taps.push(consumer);
    return list;
  }

  token(tenant: string, roles: Role[], sub = `${roles.join('-') || 'nobody'}@example.com`): Promise<string> {
    return mintDevToken({ sub, tenant, roles, groups: ['security'] }, { issuer: this.config.JWT_ISSUER, audience: this.config.JWT_AUDIENCE, hmacSecret: this.config.JWT_DEV_SECRET });
  }

  async call(method: 'GET' | 'PUT' | 'POST', url: string, token: string, payload?: unknown) {
    const res = await this.app.inject({ method, url, headers: { authorization: `Bearer ${token}`, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}) });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions, not trust, check these values
    return { status: res.statusCode, body: (res.body ? JSON.parse(res.body) : {}) as Record<string, any> };
  }

  async stop(): Promise<void> {
    for (const t of this.taps) await t.disconnect();
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
