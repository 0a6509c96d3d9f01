import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createKafka, ensureTopics } from '../src';

/** Against the real broker: the configured partition count is used for new topics and never forced on old ones. */
describe('ensureTopics', () => {
  const kafka = new Kafka({ clientId: 'ensure-topics-test', brokers: (process.env.KAFKA_BROKERS ?? '').split(','), logLevel: logLevel.NOTHING });
  const prefix = `et${randomBytes(4).toString('hex')}`;
  const admin = kafka.admin();

  beforeAll(() => admin.connect());
  afterAll(async () => {
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine });
    await admin.disconnect();
  });

  async function partitionsOf(topic: string): Promise<number> {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics.find((t) => t.name === topic)?.partitions.length ?? 0;
  }

  it('creates missing topics with the configured count, a spec’s own count winning', async () => {
    const warnings: unknown[] = [];
    const logger = { warn: (fields: object, message: string) => void warnings.push([fields, message]) };
    const mismatches = await ensureTopics(kafka, [{ name: `${prefix}.a` }, { name: `${prefix}.b`, partitions: 2 }], { partitions: 6, logger });
    expect(mismatches).toEqual([]);
    expect(warnings).toEqual([]);
    expect(await partitionsOf(`${prefix}.a`)).toBe(6);
    expect(await partitionsOf(`${prefix}.b`)).toBe(2);
  });

  it('leaves an existing topic alone when the configuration asks for another count, and says so', async () => {
    const warnings: string[] = [];
    const logger = { warn: (_fields: object, message: string) => void warnings.push(message) };
    const mismatches = await ensureTopics(kafka, [{ name: `${prefix}.a` }, { name: `${prefix}.b`, partitions: 2 }], { partitions: 8, logger });
    expect(mismatches).toEqual([{ topic: `${prefix}.a`, existing: 6, wanted: 8 }]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`topic ${prefix}.a has 6 partitions, configuration asks for 8: left unchanged`);
    expect(await partitionsOf(`${prefix}.a`)).toBe(6);
  });

  it('creates a topic once when several modules of one service ensure it at the same time (no broker errors logged)', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => void (lines.push(chunk.toString()), done()) });
    const client = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? '').split(','), clientId: 'ensure-topics-race', logger: pino({ level: 'warn' }, sink) });
    const topics = [{ name: `${prefix}.race1` }, { name: `${prefix}.race2` }];
    await Promise.all([ensureTopics(client, topics), ensureTopics(client, topics), ensureTopics(client, [...topics].reverse())]);
    expect(await partitionsOf(`${prefix}.race1`)).toBe(3);
    expect(lines.filter((l) => l.includes('"level":50'))).toEqual([]);
  });

  it('defaults to 3 partitions when nothing is configured', async () => {
    await ensureTopics(kafka, [{ name: `${prefix}.c` }]);
    expect(await partitionsOf(`${prefix}.c`)).toBe(3);
  });
});
