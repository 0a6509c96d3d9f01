/**
 * Pure: stored partition positions that cannot belong to the topic as it is now. A topic's high
 * watermark never goes down (retention removes from the low end), so a stored next offset above it —
 * or a stored partition the topic no longer has — means another incarnation of the topic: recreated,
 * reset, or a new Kafka cluster under the same Postgres. Seen at start and every few seconds, so it is
 * said even before new events arrive (the per-batch check by event id catches the rest).
 */
export interface MisplacedPosition {
  partition: number;
  stored: string;
  /** The topic's high watermark for that partition, or null when the topic has no such partition. */
  high: string | null;
}

export function misplacedPositions(stored: readonly { partition: number; nextOffset: string }[], highs: readonly { partition: number; high: string }[]): MisplacedPosition[] {
  const byPartition = new Map(highs.map((h) => [h.partition, BigInt(h.high)]));
  return stored
    .filter((s) => {
      const high = byPartition.get(s.partition);
      return high === undefined || BigInt(s.nextOffset) > high;
    })
    .map((s) => ({ partition: s.partition, stored: s.nextOffset, high: byPartition.has(s.partition) ? String(byPartition.get(s.partition)) : null }))
    .sort((a, b) => a.partition - b.partition);
}

export function describeMisplaced(topic: string, groupId: string, m: MisplacedPosition): string {
  const now = m.high === null ? 'the topic has no such partition now' : `the topic now ends at ${m.high}`;
  return (
    `${topic} partition ${m.partition}: stored position ${m.stored} (group ${groupId}) is beyond the topic (${now}): another incarnation of the topic. ` +
    `Nothing below the position is skipped unless it is in the ledger; to continue from the new topic run ` +
    `\`audit-ledger ledger reset-position --topic ${topic} --partition ${m.partition} --group ${groupId} --to 0 --reason <why>\``
  );
}
