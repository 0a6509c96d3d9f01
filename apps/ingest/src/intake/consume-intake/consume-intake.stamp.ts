import { createHash } from 'node:crypto';
import { uuidv7 } from '@audit/contracts';

/**
 * The id of an event taken from the intake topic is derived from its position (topic, partition,
 * offset) and the broker timestamp: a redelivery after a crash gets the SAME id, so the ledger
 * de-duplicates it instead of recording it twice.
 */
export function intakeEventId(position: { topic: string; partition: number; offset: string }, receivedAt: Date): string {
  const random = createHash('sha256').update(`${position.topic}/${position.partition}/${position.offset}`).digest().subarray(0, 10);
  return uuidv7(receivedAt, random);
}
