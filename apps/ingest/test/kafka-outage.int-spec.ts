import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { topicName, type AcceptedEvent } from '@audit/contracts';
import type { Pool } from '@audit/db';
import { anEventInput, expectEventually } from '@audit/testing';
import { aNamespace, anEmitter, createTopics, startApp, testConfig, testPool, TopicTap, type Emitter } from './support/ingest-harness';

// A broker of our own (port 19092) that this test may stop and restart without disturbing anyone on the
// shared one: started with the project's launcher in a separate folder, stopped at the end.
const REPO = join(__dirname, '..', '..', '..');
const FAULT_BROKER = ['127.0.0.1:19092'];
const launcherEnv = {
  ...process.env,
  AUDIT_LOCAL_DIR: join(REPO, '.local', 'ingest-fault'),
  KAFKA_PORT: '19092',
  KAFKA_CONTROLLER_PORT: '19093',
  KAFKA_BROKERS: '',
  // Reuse the shared OpenSearch (the launcher then starts only Kafka).
  OPENSEARCH_URL: 'http://127.0.0.1:9200',
};
const launcher = (command: 'up' | 'down') =>
  execFileSync(process.execPath, [join(REPO, 'deploy', 'local', 'infra.mjs'), command], { env: launcherEnv, stdio: 'pipe', timeout: 180_000 });

describe('Kafka outage (own broker on 19092)', () => {
  const namespace = aNamespace('ingest-outage');
  let app: NestFastifyApplication;
  let pool: Pool;
  let emitter: Emitter;

  beforeAll(async () => {
    launcher('up');
    await createTopics(FAULT_BROKER, namespace);
    pool = testPool();
    emitter = await anEmitter(pool);
    app = await startApp(testConfig(namespace, { KAFKA_BROKERS: FAULT_BROKER.join(','), PUBLISH_TIMEOUT_MS: '3000' }));
  }, 240_000);

  afterAll(async () => {
    await app?.close();
    await pool?.end();
    launcher('down');
  }, 120_000);

  const post = (event: unknown, key: string) =>
    app.inject({ method: 'POST', url: '/v1/events', payload: JSON.stringify(event), headers: { 'content-type': 'application/json', authorization: `Bearer ${emitter.token}`, 'idempotency-key': key } });

  it('answers 503 + Retry-After within the bound while Kafka is down, and accepts the same request once it is back', async () => {
    expect((await post(anEventInput(), 'warm-up')).statusCode).toBe(202);

    launcher('down');
    const event = anEventInput({ changeId: 'CHG-outage' });
    const started = Date.now();
    const down = await post(event, 'outage-1');
    expect(down.statusCode).toBe(503);
    expect(down.headers['retry-after']).toBe('5');
    expect(down.headers['content-type']).toMatch(/problem\+json/);
    expect(Date.now() - started).toBeLessThan(8_000);

    launcher('up');
    const tap = await TopicTap.start(FAULT_BROKER, topicName('ingested', namespace));
    try {
      const back = await expectEventually(
        async () => {
          const res = await post(event, 'outage-1');
          expect(res.statusCode).toBe(202);
          return res;
        },
        { timeoutMs: 90_000, intervalMs: 2_000 },
      );
      const { id } = back.json<{ id: string }>();
      await expectEventually(() => expect(tap.json<AcceptedEvent>().filter((e) => e.changeId === 'CHG-outage').map((e) => e.id)).toContain(id), { timeoutMs: 30_000 });
      // The id reserved before the outage is the one that landed: a late delivery of the failed attempt
      // would carry the same id, which the ledger de-duplicates.
      expect(new Set(tap.json<AcceptedEvent>().filter((e) => e.changeId === 'CHG-outage').map((e) => e.id))).toEqual(new Set([id]));
    } finally {
      await tap.stop();
    }
  }, 240_000);
});
