import { randomUUID } from 'node:crypto';
import { CommittedRecord, topicName } from '@audit/contracts';
import { withTransaction, type Pool } from '@audit/db';
import { ConsumerRunner, KafkaPublisher, type Kafka } from '@audit/kafka';
import type { Logger } from '@audit/observability';
import type { ChangeViewRepository } from './change-view.repository';

export interface RebuildOptions {
  kafka: Kafka;
  pool: Pool;
  view: ChangeViewRepository;
  logger: Logger;
  namespace: string;
  /** Rebuild one tenant only (the others keep their rows); all tenants when absent. */
  tenant?: string;
  timeoutMs?: number;
}

/**
 * Drops the change view and replays `audit.committed.v1` from the beginning with a fresh consumer group,
 * up to the end offsets seen at the start; the live consumer may keep running meanwhile (both write
 * idempotently by (tenant, seq)). Needs the committed topic's full history (retention -1, as deployed).
 */
export async function rebuildView(o: RebuildOptions): Promise<{ records: number; applied: number }> {
  const topic = topicName('committed', o.namespace);
  const admin = o.kafka.admin();
  await admin.connect();
  const groupId = `${o.namespace ? `${o.namespace}.` : ''}approval-policy.rebuild.${randomUUID()}`;
  const publisher = new KafkaPublisher(o.kafka, { namespace: o.namespace });
  let runner: ConsumerRunner<CommittedRecord> | undefined;
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const remaining = new Map(ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
    await withTransaction(o.pool, (client) => o.view.clear(client, o.tenant));
    o.logger.info({ topic, tenant: o.tenant ?? '(all)', partitions: ends.length }, 'change view dropped; replaying the committed log');

    let records = 0;
    let applied = 0;
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    if (remaining.size === 0) done();
    runner = new ConsumerRunner({
      kafka: o.kafka,
      groupId,
      topic,
      schema: CommittedRecord,
      service: 'approval-policy-rebuild',
      logger: o.logger,
      dlq: publisher,
      fromBeginning: true,
      handle: async (batch) => {
        const mine = batch.map((r) => r.value).filter((r) => !o.tenant || r.event.tenant === o.tenant);
        records += mine.length;
        applied += await withTransaction(o.pool, (client) => o.view.apply(client, mine));
      },
      onBatchDone: ({ partition, lastOffset }) => {
        const target = remaining.get(partition);
        if (target !== undefined && BigInt(lastOffset) + 1n >= target) remaining.delete(partition);
        if (remaining.size === 0) done();
      },
    });
    await runner.start();
    const timeout = o.timeoutMs ?? 10 * 60_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      finished,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`rebuild did not reach the end of ${topic} within ${timeout} ms`)), timeout);
      }),
    ]).finally(() => clearTimeout(timer));
    return { records, applied };
  } finally {
    await runner?.stop();
    await publisher.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}
