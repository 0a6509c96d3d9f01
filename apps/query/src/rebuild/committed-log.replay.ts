import { randomUUID } from 'node:crypto';
import { CommittedRecord } from '@audit/contracts';
import type { ConsumedRecord, Kafka } from '@audit/kafka';
import type { Logger } from '@audit/observability';

/**
 * Reads the committed topic from the beginning up to the end it had when the replay started, with a
 * fresh consumer group (deleted afterwards) so the live projectors' offsets are untouched. The ledger's
 * own table can replace this source once it has landed; the projectors do not care where records come from.
 */
export async function replayCommittedLog(
  kafka: Kafka,
  topic: string,
  logger: Logger,
  onBatch: (records: ConsumedRecord<CommittedRecord>[]) => Promise<void>,
): Promise<{ records: number; invalid: number }> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `query-rebuild-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
  let records = 0;
  let invalid = 0;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    // End = the high watermark now: records committed after this moment are the live projector's business.
    const remaining = new Map(offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]));
    if (remaining.size === 0) return { records, invalid };
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch, heartbeat }) => {
            const end = remaining.get(batch.partition);
            if (end === undefined) return;
            const valid: ConsumedRecord<CommittedRecord>[] = [];
            for (const m of batch.messages) {
              if (BigInt(m.offset) >= end) break;
              const parsed = m.value ? CommittedRecord.safeParse(safeJson(m.value.toString('utf8'))) : undefined;
              if (!parsed?.success) {
                invalid++;
                continue;
              }
              valid.push({ value: parsed.data, key: m.key?.toString('utf8') ?? null, offset: m.offset, partition: batch.partition, headers: m.headers ?? {}, timestamp: m.timestamp, bytes: m.value ?? Buffer.alloc(0) });
            }
            await onBatch(valid);
            records += valid.length;
            await heartbeat();
            const last = batch.messages[batch.messages.length - 1];
            if (last && BigInt(last.offset) + 1n >= end) {
              remaining.delete(batch.partition);
              if (remaining.size === 0) resolve();
            }
          },
        })
        .catch(reject);
    });
    logger.info({ topic, records, invalid }, 'replayed the committed log');
    return { records, invalid };
  } finally {
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
