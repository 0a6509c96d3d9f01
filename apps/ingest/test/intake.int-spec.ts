import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { topicName, type AcceptedEvent } from '@audit/contracts';
import { anEventInput, aTenant, expectEventually } from '@audit/testing';
import { aNamespace, brokers, createTopics, startApp, testConfig, TopicTap } from './support/ingest-harness';

interface DeadLetter {
  reason: string;
  issues: { path: string; message: string }[];
  originalValue: string;
}

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

  // ConsumerRunner decodes every message with the contract's strict decoder, so what HTTP refuses goes
  // to the DLQ with the reason instead of reaching a handler.
  it('sends each input class to the DLQ naming the path and the rule, and the partition goes on', async () => {
    const tenant = aTenant();
    const message = (event: Record<string, unknown>, raw: string) => JSON.stringify({ tenant, event }).replace('"__X__"', raw);
    const poison: [name: string, value: Buffer, reason: RegExp, path: string][] = [
      ['lone surrogate', Buffer.from(message(anEventInput({ reason: '__X__' }), '"\\ud800"')), /lone UTF-16 surrogate/, 'event.reason'],
      ['duplicate key', Buffer.from(message(anEventInput({ changeId: '__X__' }), '"a","changeId":"b"')), /duplicate key/, 'event.changeId'],
      ['2^53+1', Buffer.from(message(anEventInput({ details: { n: '__X__' } }), '9007199254740993')), /2\^53/, 'event.details.n'],
      ['100 000 deep', Buffer.from(message(anEventInput({ details: '__X__' as never }), `{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`)), /deeper than 64/, 'event.details.x'],
      ['year 1', Buffer.from(message(anEventInput({ occurredAt: '0001-01-01T00:00:00Z' }), '')), /schema/, 'event.occurredAt'],
      ['year 1980 (before the configured earliest)', Buffer.from(message(anEventInput({ occurredAt: '1980-01-01T00:00:00Z' }), '')), /before 2000-01-01/, ''],
      ['invalid UTF-8', Buffer.concat([Buffer.from(`{"tenant":"${tenant}","event":{"reason":"`), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')]), /not valid UTF-8/, ''],
    ];
    await producer.send({
      topic: topicName('intake', namespace),
      messages: [
        ...poison.map(([, value]) => ({ key: tenant, value })),
        { key: tenant, value: JSON.stringify({ tenant, event: anEventInput({ changeId: 'CHG-after-poison' }) }) },
      ],
    });
    await expectEventually(() => expect(ingested.json<AcceptedEvent>().filter((e) => e.tenant === tenant).map((e) => e.changeId)).toEqual(['CHG-after-poison']), { timeoutMs: 60_000 });
    const ours = () => dlq.messages.filter((m) => m.key === tenant).map((m) => JSON.parse(m.value) as DeadLetter);
    await expectEventually(() => expect(ours()).toHaveLength(poison.length));
    const letters = ours();
    for (const [name, value, reason, path] of poison) {
      const letter = letters.find((l) => Buffer.from(l.originalValue, 'base64').equals(value));
      expect({ name, reason: letter?.reason }).toEqual({ name, reason: expect.stringMatching(reason) as unknown });
      if (path) expect({ name, paths: letter?.issues.map((i) => i.path) }).toEqual({ name, paths: expect.arrayContaining([expect.stringMatching(new RegExp(`^${path.replace(/\./g, '\\.')}`))]) as unknown });
    }
  });
});
