import { createHash } from 'node:crypto';

/** What Postgres remembers of a request that carried an idempotency key. */
export interface IdempotencyRecord {
  requestSha256: Buffer;
  eventIds: string[];
  receivedAt: Date;
  status: 'pending' | 'published';
}

export type IdempotencyDecision =
  /** First time: publish with the ids just reserved. */
  | { kind: 'fresh'; record: IdempotencyRecord }
  /** Seen and published: answer as the first time, publish nothing. */
  | { kind: 'replay'; record: IdempotencyRecord }
  /** Seen but not known to be published (Kafka failed, or we crashed after the ack): publish the SAME ids again. */
  | { kind: 'resume'; record: IdempotencyRecord }
  /** The key was used for a different request. */
  | { kind: 'conflict' };

export function decideIdempotency(reserved: { record: IdempotencyRecord; inserted: boolean }, requestSha256: Buffer, eventCount: number): IdempotencyDecision {
  const { record, inserted } = reserved;
  if (inserted) return { kind: 'fresh', record };
  // Same bytes always map to the same events, so a count mismatch can only be a different request.
  if (!record.requestSha256.equals(requestSha256) || record.eventIds.length !== eventCount) return { kind: 'conflict' };
  return record.status === 'published' ? { kind: 'replay', record } : { kind: 'resume', record };
}

/**
 * Fingerprint of a request for idempotency: the route and every input that shapes the events (the exact
 * body bytes and, for adapters, their parameters). Length-prefixed so parts cannot run into each other.
 */
export function requestFingerprint(route: string, parts: readonly (Buffer | string)[]): Buffer {
  const hash = createHash('sha256');
  for (const part of [route, ...parts]) {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
    const len = Buffer.alloc(8);
    len.writeBigUInt64BE(BigInt(bytes.length));
    hash.update(len).update(bytes);
  }
  return hash.digest();
}
