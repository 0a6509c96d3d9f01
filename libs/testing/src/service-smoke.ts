import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { parseEnv } from '@audit/config';
import { createLogger, type Logger } from '@audit/observability';
import { KAFKA, OPENSEARCH, OpenSearchClient, PG_POOL } from '@audit/service-shell';
import type { z } from 'zod';
import { expectEventually } from './expect-eventually';

export interface ServiceSmokeOptions<S extends z.ZodRawShape> {
  service: string;
  env: S;
  module(config: z.output<z.ZodObject<S>>, logger: Logger): unknown;
  uses: { postgres?: boolean; kafka?: boolean; opensearch?: boolean };
  /** A table the service's migrations create: proves they ran against this database. */
  migratedTable?: string;
  /** Readiness checks the service adds besides its connections (e.g. stalled consumer partitions). */
  readinessChecks?: string[];
}

/** Boots a service's real module against the real infrastructure the integration setup started. */
export async function bootService<S extends z.ZodRawShape>(options: ServiceSmokeOptions<S>, env: NodeJS.ProcessEnv = {}): Promise<NestFastifyApplication> {
  const config = parseEnv(options.env, { ...process.env, LOG_LEVEL: 'warn', ...env });
  const logger = createLogger(options.service, 'warn');
  const app = await NestFactory.create<NestFastifyApplication>(options.module(config, logger) as never, new FastifyAdapter(), { logger: false });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

/**
 * The smoke test every service shares: it boots, reports ready, and really talks to each of Kafka
 * (produce + consume), Postgres (migrations applied, a row written and read back) and OpenSearch (index +
 * search) through the very clients the service itself was given.
 */
export function describeServiceSmoke<S extends z.ZodRawShape>(options: ServiceSmokeOptions<S>): void {
  describe(`${options.service} service smoke`, () => {
    let app: NestFastifyApplication;

    beforeAll(async () => {
      app = await bootService(options);
    });
    afterAll(async () => {
      await app?.close();
    });

    it('is live and ready, with a readiness check per connection it uses', async () => {
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      const expected = [
        ...Object.entries(options.uses)
          .filter(([, used]) => used)
          .map(([name]) => name),
        ...(options.readinessChecks ?? []),
      ].sort();
      expect(Object.keys(ready.json().checks).sort()).toEqual(expected);
    });

    it('serves Prometheus metrics', async () => {
      const res = await app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain(`process_resident_memory_bytes{service="${options.service}"}`);
    });

    if (options.uses.postgres) {
      it('Postgres: its migrations are applied and a row round-trips', async () => {
        const pool = app.get<Pool>(PG_POOL);
        const { rows } = await pool.query<{ name: string }>('SELECT name FROM schema_migrations WHERE namespace = $1', [options.service]);
        expect(rows.length).toBeGreaterThan(0);
        if (options.migratedTable) {
          const t = await pool.query('SELECT to_regclass($1) AS t', [options.migratedTable]);
          expect(t.rows[0].t).not.toBeNull();
        }
        const client = await pool.connect();
        try {
          await client.query('CREATE TEMP TABLE smoke_roundtrip (id uuid PRIMARY KEY)');
          const id = randomUUID();
          await client.query('INSERT INTO smoke_roundtrip VALUES ($1)', [id]);
          expect((await client.query('SELECT id FROM smoke_roundtrip')).rows).toEqual([{ id }]);
        } finally {
          client.release();
        }
      });
    }

    if (options.uses.kafka) {
      it('Kafka: a message it produces is consumed back', async () => {
        const kafka = app.get<Kafka>(KAFKA);
        const topic = `smoke.${options.service}.${randomUUID()}`;
        const admin = kafka.admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
        const producer = kafka.producer({ idempotent: true });
        const consumer = kafka.consumer({ groupId: `smoke-${randomUUID()}` });
        const seen: string[] = [];
        try {
          await consumer.connect();
          await consumer.subscribe({ topic, fromBeginning: true });
          await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
          await producer.connect();
          await producer.send({ topic, acks: -1, messages: [{ value: options.service }] });
          await expectEventually(() => expect(seen).toEqual([options.service]));
        } finally {
          await consumer.disconnect();
          await producer.disconnect();
          await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
          await admin.disconnect();
        }
      });
    }

    if (options.uses.opensearch) {
      it('OpenSearch: a document it indexes is found by search', async () => {
        const client = app.get<OpenSearchClient>(OPENSEARCH);
        const index = `smoke-${options.service}-${randomUUID()}`;
        try {
          await client.index({ index, id: 'a', body: { service: options.service }, refresh: true });
          const res = await client.search({ index, body: { query: { term: { 'service.keyword': options.service } } } });
          expect(res.body.hits.hits.map((h) => h._id)).toEqual(['a']);
        } finally {
          await client.indices.delete({ index }).catch(() => undefined);
        }
      });
    }
  });
}
