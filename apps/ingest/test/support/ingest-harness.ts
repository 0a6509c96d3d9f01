import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { createPool, type Pool } from '@audit/db';
import { topicName, type TopicKey } from '@audit/contracts';
import { createKafka, ensureTopics } from '@audit/kafka';
import { createLogger } from '@audit/observability';
import { parseEnv } from '@audit/config';
import { aTenant } from '@audit/testing';
import { createApiKey, type NewApiKey } from '../../../cli/src/admin/api-keys.store';
import { IngestEnv, type IngestConfig } from '../../src/config';
import { createIngestApp } from '../../src/ingest.app';
import type { IngestOverrides } from '../../src/app.module';

export const INGEST_TOPICS: TopicKey[] = ['intake', 'ingested', 'dlq'];

/** A unique topic namespace per test file: other engineers share the cluster. */
export function aNamespace(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export async function createTopics(brokers: string[], namespace: string): Promise<void> {
  const kafka = createKafka({ brokers, clientId: 'ingest-test-admin', logger: createLogger('ingest-test', 'silent') });
  await ensureTopics(kafka, INGEST_TOPICS.map((k) => ({ name: topicName(k, namespace), partitions: 1 })));
}

export function testConfig(namespace: string, env: Record<string, string> = {}): IngestConfig {
  return parseEnv(IngestEnv, { ...process.env, KAFKA_TOPIC_NAMESPACE: namespace, LOG_LEVEL: 'silent', INTAKE_ENABLED: 'false', ...env });
}

export async function startApp(config: IngestConfig, overrides: IngestOverrides = {}): Promise<NestFastifyApplication> {
  return createIngestApp(config, createLogger('ingest-test', config.LOG_LEVEL), overrides);
}

/** Collects every message of a topic from the beginning (a fresh consumer group). */
export class TopicTap {
  readonly messages: { key: string | null; value: string }[] = [];
  private constructor(private readonly consumer: Consumer) {}

  static async start(brokers: string[], topic: string): Promise<TopicTap> {
    const kafka = new Kafka({ clientId: 'ingest-test-tap', brokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `tap-${randomBytes(6).toString('hex')}`, maxWaitTimeInMs: 100 });
    const tap = new TopicTap(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        tap.messages.push({ key: message.key?.toString('utf8') ?? null, value: message.value?.toString('utf8') ?? '' });
      },
    });
    return tap;
  }

  json<T = Record<string, unknown>>(): T[] {
    return this.messages.map((m) => JSON.parse(m.value) as T);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

export interface Emitter {
  tenant: string;
  token: string;
  keyId: string;
}

export async function anEmitter(pool: Pool, spec: Partial<NewApiKey> = {}): Promise<Emitter> {
  const tenant = spec.tenant ?? aTenant();
  const key = await createApiKey(pool, { tenant, sources: spec.sources ?? [], types: spec.types ?? [], scopes: spec.scopes ?? [] });
  return { tenant, token: key.token, keyId: key.keyId };
}

export function testPool(): Pool {
  return createPool(process.env.DATABASE_URL ?? '', { max: 4 });
}

export function brokers(): string[] {
  return (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
}
