import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import pino from 'pino';
import { z } from 'zod';
import { createMetricsRegistry } from '@audit/observability';
import { expectEventually } from '@audit/testing';
import { ConsumerRunner, KafkaPublisher, PartitionHeldError } from '../src';
import { KafkaLifecycle } from '../src/nest';

/**
 * Against the real broker: a partition whose handler keeps failing is reported stalled (readiness, gauge)
 * and recovers when it moves; a held partition commits nothing and does not hold the others back.
 */
describe('ConsumerRunner progress', () => {
  const kafka = new Kafka({ clientId: 'progress-test', brokers: (process.env.KAFKA_BROKERS ?? '').split(','), logLevel: logLevel.NOTHING });
  const prefix = `cp${randomBytes(4).toString('hex')}`;
  const topic = `${prefix}.work`;
  const admin = kafka.admin();
  const publisher = new KafkaPublisher(kafka, { namespace: prefix });
  const registry = createMetricsRegistry('progress-test');
  const lifecycle = new KafkaLifecycle();
  let producer: Producer;
  let runner: ConsumerRunner<{ n: number }>;
  const handled: { partition: number; n: number }[] = [];
  const faults = { failPartition0: false, holdPartition1: false };

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    producer = kafka.producer();
    await producer.connect();
    runner = new ConsumerRunner({
      kafka,
      groupId: `${prefix}-group`,
      topic,
      schema: z.strictObject({ n: z.number() }),
      service: 'progress-test',
      logger: pino({ level: 'silent' }),
      dlq: publisher,
      maxAttempts: 3,
      stallAfterMs: 1_000,
      heldRetryMs: 300,
      metrics: registry,
      handle: async (records, ctx) => {
        if (ctx.partition === 0 && faults.failPartition0) throw new Error('database unreachable');
        if (ctx.partition === 1 && faults.holdPartition1) throw new PartitionHeldError('waiting for an operator');
        handled.push(...records.map((r) => ({ partition: ctx.partition, n: r.value.n })));
      },
    });
    lifecycle.addConsumer(runner);
    await runner.start();
  });
  afterAll(async () => {
    await lifecycle.onApplicationShutdown();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  const send = (partition: number, n: number) => producer.send({ topic, messages: [{ partition, value: JSON.stringify({ n }) }] });
  const gauge = async (name: string, partition: number) => {
    const page = await registry.metrics();
    const line = page.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`topic="${topic}"`) && l.includes(`partition="${partition}"`));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  };

  it('reports a partition whose handler keeps failing as stalled, and recovers when it moves', async () => {
    await send(0, 1);
    await expectEventually(() => expect(handled).toContainEqual({ partition: 0, n: 1 }));
    await expect(lifecycle.readiness().check()).resolves.toBeUndefined();

    faults.failPartition0 = true;
    await send(0, 2);
    await send(0, 3);
    await expectEventually(async () => {
      const check = lifecycle.readiness().check();
      await expect(check).rejects.toThrow(`degraded: ${topic} partition 0 `);
      await expect(check).rejects.toThrow('database unreachable');
      expect(await gauge('consumer_partition_stalled', 0)).toBe(1);
      expect(await gauge('consumer_partition_lag', 0)).toBeGreaterThan(0);
    }, { timeoutMs: 20_000 });
    expect(handled.filter((h) => h.partition === 0).map((h) => h.n)).toEqual([1]);

    faults.failPartition0 = false;
    await expectEventually(() => expect(handled.filter((h) => h.partition === 0).map((h) => h.n)).toEqual([1, 2, 3]), { timeoutMs: 40_000 });
    await expectEventually(() => expect(lifecycle.readiness().check()).resolves.toBeUndefined());
    expect(await gauge('consumer_partition_stalled', 0)).toBe(0);
    expect(await gauge('consumer_partition_lag', 0)).toBe(0);
  }, 90_000);

  it('holds a partition without committing or skipping, while the other partition goes on', async () => {
    faults.holdPartition1 = true;
    await send(1, 10);
    await expectEventually(() => expect(lifecycle.readiness().check()).rejects.toThrow(`${topic} partition 1 held: waiting for an operator`));
    // Partition 0 is not held back.
    await send(0, 4);
    await expectEventually(() => expect(handled).toContainEqual({ partition: 0, n: 4 }));
    expect(handled.filter((h) => h.partition === 1)).toEqual([]);
    const offsets = await admin.fetchOffsets({ groupId: `${prefix}-group`, topics: [topic] });
    expect(offsets[0]!.partitions.find((p) => p.partition === 1)?.offset).toBe('-1');

    faults.holdPartition1 = false;
    await expectEventually(() => expect(handled.filter((h) => h.partition === 1).map((h) => h.n)).toEqual([10]));
    await expectEventually(() => expect(lifecycle.readiness().check()).resolves.toBeUndefined());
  }, 60_000);
});
