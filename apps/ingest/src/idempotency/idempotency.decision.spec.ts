import { decideIdempotency, requestFingerprint, type IdempotencyRecord } from './idempotency.decision';

const sha = (s: string) => requestFingerprint('events', [s]);
const record = (over: Partial<IdempotencyRecord> = {}): IdempotencyRecord => ({
  requestSha256: sha('body'),
  eventIds: ['0190b6c4-6b7a-7c3e-8f00-000000000000'],
  receivedAt: new Date('2026-11-25T10:00:00Z'),
  status: 'pending',
  ...over,
});

describe('decideIdempotency', () => {
  it('publishes fresh keys with the reserved ids', () => {
    expect(decideIdempotency({ record: record(), inserted: true }, sha('body'), 1).kind).toBe('fresh');
  });
  it('replays a published request without publishing again', () => {
    expect(decideIdempotency({ record: record({ status: 'published' }), inserted: false }, sha('body'), 1).kind).toBe('replay');
  });
  it('resumes a pending request with the SAME ids (crash after the Kafka ack, or Kafka was down)', () => {
    const d = decideIdempotency({ record: record(), inserted: false }, sha('body'), 1);
    expect(d).toEqual({ kind: 'resume', record: record() });
  });
  it('is a conflict for another body or another number of events', () => {
    expect(decideIdempotency({ record: record(), inserted: false }, sha('other'), 1).kind).toBe('conflict');
    expect(decideIdempotency({ record: record({ status: 'published' }), inserted: false }, sha('body'), 2).kind).toBe('conflict');
  });
});

describe('requestFingerprint', () => {
  it('depends on the route and on part boundaries', () => {
    expect(requestFingerprint('a', ['x']).equals(requestFingerprint('a', ['x']))).toBe(true);
    expect(requestFingerprint('a', ['x']).equals(requestFingerprint('b', ['x']))).toBe(false);
    expect(requestFingerprint('a', ['ab', 'c']).equals(requestFingerprint('a', ['a', 'bc']))).toBe(false);
  });
});
