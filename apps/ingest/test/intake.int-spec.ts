import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { topicName, type AcceptedEvent } from '@audit/contracts';
import { anEventInput, aTenant, expectEventually } from '@audit/testing';
import { aNamespace, brokers, createTopics, startApp, testConfig, TopicTap } from './support/ingest-harness';

describe('Kafka intake audit.intake.v1 (real Kafka)', () => {
  const namespace = aNamespace('ingest-intake');
  let app: NestFastifyApplication;
  let ingested: TopicTap;
  let dlq: TopicTap;
  let producer: Producer;

  beforeAll(async () => {
    await createTopics(brokers(), namespace);
    app = await startApp(testConfig(namespace, { INTAKE_ENABLED: 'true' }));
    ingested = await TopicTap.start(brokers(), topicName('ingested', namespace));
    dlq = await TopicTap.start(brokers(), topicName('dlq', namespace));
    producer = new Kafka({ clientId: 'intake-test', brokers: brokers(), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await ingested?.stop();
    await dlq?.stop();
    await app?.close();
  });

  it('stamps valid messages onto audit.ingested.v1 and sends poison to the DLQ with the reason and the bytes, without stalling', async () => {
    const tenant = aTenant();
    const topic = topicName('intake', namespace);
    const poison = ['{not json', JSON.stringify({ tenant, event: { ...anEventInput(), colour: 'red' } }), JSON.stringify({ tenant, event: anEventInput({ occurredAt: '2999-01-01T00:00:00Z' }) })];
    await producer.send({
      topic,
      messages: [
        { key: tenant, value: JSON.stringify({ tenant, event: anEventInput({ changeId: 'CHG-intake-1' }) }) },
        ...poison.map((value) => ({ key: tenant, value })),
        { key: tenant, value: JSON.stringify({ tenant, event: anEventInput({ changeId: 'CHG-intake-2' }) }) },
      ],
    });
    await expectEventually(() => expect(ingested.json<AcceptedEvent>().map((e) => e.changeId).sort()).toEqual(['CHG-intake-1', 'CHG-intake-2']), { timeoutMs: 60_000 });
    expect(ingested.json<AcceptedEvent>().every((e) => e.tenant === tenant && /^[0-9a-f-]{36}$/.test(e.id))).toBe(true);
    await expectEventually(() => expect(dlq.messages).toHaveLength(3));
    const letters = dlq.json<{ reason: string; originalValue: string; issues: { path: string }[] }>();
    expect(letters.map((l) => Buffer.from(l.originalValue, 'base64').toString('utf8')).sort()).toEqual([...poison].sort());
    expect(letters.map((l) => l.reason).join('\n')).toMatch(/not JSON/);
    expect(letters.map((l) => l.reason).join('\n')).toMatch(/future/);
    expect(letters.flatMap((l) => l.issues.map((i) => i.path))).toContain('event');
  });
});
