import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import { parseEnv } from '@audit/config';
import { issueApiKey, topicName, uuidv7, type AcceptedEvent, type AuditEventInput } from '@audit/contracts';
import { createPool, runMigrations } from '@audit/db';
import { createKafka, ensureTopics } from '@audit/kafka';
import { createLogger } from '@audit/observability';
import { IngestEnv } from '../src/config';
import { createIngestApp } from '../src/ingest.app';
import { ensureServiceCredential } from '@audit/testing';

/**
 * Accepted events/s through the whole ingest path (HTTP → auth → validation → idempotency row in
 * Postgres → acks=all on Kafka), single and batch, beside a raw kafkajs produce of the same messages
 * (idempotent producer, acks=all) in the same run. Not a timed test: a measurement.
 *
 *   node -r @swc-node/register apps/ingest/bench/ingest.bench.ts [--single N] [--batches N] [--concurrency N]
 */
let counter = 0;
function anEventInput(): AuditEventInput {
  counter++;
  return {
    type: 'change.requested',
    occurredAt: '2026-11-25T10:00:00.000Z',
    actor: { id: 'bench@example.com', type: 'user', roles: ['developer'], teams: ['payments'] },
    resource: { kind: 'aws_db_instance', id: 'payments-db', environment: 'prod' },
    changeId: `CHG-bench-${counter}`,
    reason: 'benchmark',
  };
}

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SINGLE = arg('single', 3000);
const BATCHES = arg('batches', 40);
const BATCH_SIZE = 500;
const CONCURRENCY = arg('concurrency', 32);

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
  ensureServiceCredential();
  const namespace = `bench-${randomBytes(3).toString('hex')}`;
  const config = parseEnv(IngestEnv, {
    ...process.env,
    KAFKA_TOPIC_NAMESPACE: namespace,
    LOG_LEVEL: 'error',
    INTAKE_ENABLED: 'false',
    RATE_LIMIT_PER_SECOND: '1000000',
    RATE_LIMIT_BURST: '1000000',
  });
  const logger = createLogger('ingest-bench', 'error');
  const db = createPool(config.DATABASE_URL, { max: 2 });
  await runMigrations(db, 'ingest', join(__dirname, '..', 'migrations'));
  const tenant = `bench-${randomBytes(3).toString('hex')}`;
  const key = issueApiKey();
  await db.query('INSERT INTO ingest_api_keys (key_id, tenant, secret_sha256) VALUES ($1, $2, $3)', [key.keyId, tenant, key.secretSha256]);
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'ingest-bench', logger });
  await ensureTopics(kafka, [{ name: topicName('ingested', namespace) }, { name: `${namespace}.raw` }]);

  const app = await createIngestApp(config, logger);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const base = `http://127.0.0.1:${address.port}`;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${key.token}` };

  const post = async (path: string, body: string, idempotencyKey: string) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { ...headers, 'idempotency-key': idempotencyKey }, body });
    if (res.status !== 202) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  };

  // Warm-up: connections, JIT, producer.
  await pool(Array.from({ length: 200 }, (_, i) => i), CONCURRENCY, (i) => post('/v1/events', JSON.stringify(anEventInput()), `warm-${i}`));

  const singles = Array.from({ length: SINGLE }, (_, i) => ({ body: JSON.stringify(anEventInput()), key: `s-${i}` }));
  const singleS = await timed(() => pool(singles, CONCURRENCY, (s) => post('/v1/events', s.body, s.key)));

  const batches = Array.from({ length: BATCHES }, (_, i) => ({ body: JSON.stringify({ events: Array.from({ length: BATCH_SIZE }, () => anEventInput()) }), key: `b-${i}` }));
  const batchS = await timed(() => pool(batches, Math.min(CONCURRENCY, 8), (b) => post('/v1/events:batch', b.body, b.key)));

  // Raw limit: the same accepted messages straight to Kafka with the same producer settings.
  const stamp = (): AcceptedEvent => ({ ...(anEventInput() as AcceptedEvent), version: 1, tenant, id: uuidv7(new Date()), receivedAt: new Date().toISOString() });
  const raw = new Kafka({ clientId: 'raw-bench', brokers: config.KAFKA_BROKERS, logLevel: logLevel.NOTHING });
  const producer = raw.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const rawTopic = `${namespace}.raw`;
  const rawSingles = Array.from({ length: SINGLE }, () => JSON.stringify(stamp()));
  const rawSingleS = await timed(() => pool(rawSingles, CONCURRENCY, async (value) => void (await producer.send({ topic: rawTopic, acks: -1, messages: [{ key: tenant, value }] }))));
  const rawBatches = Array.from({ length: BATCHES }, () => Array.from({ length: BATCH_SIZE }, () => JSON.stringify(stamp())));
  const rawBatchS = await timed(() => pool(rawBatches, Math.min(CONCURRENCY, 8), async (values) => void (await producer.send({ topic: rawTopic, acks: -1, messages: values.map((value) => ({ key: tenant, value })) }))));

  const rows = [
    ['ingest POST /v1/events', SINGLE, singleS, rawSingleS],
    [`ingest POST /v1/events:batch (${BATCH_SIZE}/request)`, BATCHES * BATCH_SIZE, batchS, rawBatchS],
  ] as const;
  const out = [
    `ingest benchmark — kafka ${config.KAFKA_BROKERS.join(',')}, concurrency ${CONCURRENCY} (batches ${Math.min(CONCURRENCY, 8)}), idempotency key on every request`,
    '',
    `${'path'.padEnd(44)} ${'events'.padStart(7)} ${'ingest ev/s'.padStart(12)} ${'raw kafkajs ev/s'.padStart(17)} ${'ratio'.padStart(6)}`,
    ...rows.map(([name, n, s, rawS]) => {
      const rate = n / s;
      const rawRate = n / rawS;
      return `${name.padEnd(44)} ${String(n).padStart(7)} ${rate.toFixed(0).padStart(12)} ${rawRate.toFixed(0).padStart(17)} ${(rate / rawRate).toFixed(2).padStart(6)}`;
    }),
    '',
  ];
  process.stdout.write(`${out.join('\n')}\n`);

  await producer.disconnect();
  await app.close();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topicName('ingested', namespace), rawTopic] }).catch(() => undefined);
  await admin.disconnect();
  await db.end();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
