import { backoffDelay, decide, MAX_RETRY_AFTER_MS, parseRetryAfter, type RetryPolicy } from './siem-retry';

const policy: RetryPolicy = { retryBaseMs: 500, retryMaxMs: 60_000, rejectedRetryMs: 300_000 };
const now = new Date('2026-11-25T12:00:00.000Z');
const noJitter = () => 0.999999;
const response = (status: number, retryAfter?: string, body?: string) => ({ kind: 'response' as const, status, retryAfter: retryAfter ?? null, ...(body ? { body } : {}) });

describe('SIEM delivery decisions', () => {
  it('counts any 2xx as acknowledged', () => {
    for (const status of [200, 201, 202, 204]) expect(decide(response(status), 1, 10, policy, now)).toEqual({ action: 'delivered' });
  });

  it('retries 5xx, 408, timeouts and connection errors with exponential backoff', () => {
    for (const outcome of [response(500), response(502), response(504), response(408), { kind: 'timeout' as const }, { kind: 'network' as const, error: 'ECONNREFUSED' }]) {
      const decision = decide(outcome, 3, 10, policy, now, noJitter);
      expect(decision).toMatchObject({ action: 'retry', delayMs: 2_000 });
    }
    expect(decide({ kind: 'network', error: 'ECONNREFUSED' }, 1, 1, policy, now, noJitter)).toEqual({ action: 'retry', delayMs: 500, reason: 'ECONNREFUSED' });
  });

  it('honours Retry-After on 429 and 503, in seconds or as a date, and backs off when it is missing or invalid', () => {
    expect(decide(response(429, '7'), 1, 10, policy, now)).toMatchObject({ action: 'retry', delayMs: 7_000 });
    expect(decide(response(503, 'Wed, 25 Nov 2026 12:00:30 GMT'), 1, 10, policy, now)).toMatchObject({ action: 'retry', delayMs: 30_000 });
    expect(decide(response(503), 2, 10, policy, now, noJitter)).toMatchObject({ action: 'retry', delayMs: 1_000 });
    expect(decide(response(503, 'soon'), 2, 10, policy, now, noJitter)).toMatchObject({ action: 'retry', delayMs: 1_000 });
    // Retry-After on a plain 500 is not a promise the receiver made: normal backoff.
    expect(decide(response(500, '120'), 1, 10, policy, now, noJitter)).toMatchObject({ delayMs: 500 });
  });

  it('splits a request the receiver finds too large, unless it is a single event', () => {
    expect(decide(response(413), 1, 10, policy, now)).toMatchObject({ action: 'split' });
    expect(decide(response(413), 1, 1, policy, now)).toMatchObject({ action: 'rejected', delayMs: 300_000 });
  });

  it('treats other 4xx as a configuration error: retried slowly, never skipped', () => {
    for (const status of [400, 401, 403, 404]) {
      expect(decide(response(status, undefined, '{"text":"Invalid token","code":4}'), 1, 10, policy, now)).toEqual({
        action: 'rejected',
        delayMs: 300_000,
        reason: `HTTP ${status}: {"text":"Invalid token","code":4}`,
      });
    }
  });
});

describe('backoff', () => {
  it('doubles from the base up to the cap, jittered between half and all of it', () => {
    expect([1, 2, 3, 4, 8, 20, 1000].map((a) => backoffDelay(a, policy, noJitter))).toEqual([500, 1_000, 2_000, 4_000, 60_000, 60_000, 60_000]);
    expect(backoffDelay(3, policy, () => 0)).toBe(1_000);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(5, policy);
      expect(d).toBeGreaterThanOrEqual(4_000);
      expect(d).toBeLessThanOrEqual(8_000);
    }
  });
});

describe('Retry-After', () => {
  it('parses delta-seconds and HTTP dates, caps them, and ignores garbage', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 12 ', now)).toBe(12_000);
    expect(parseRetryAfter('999999', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('Wed, 25 Nov 2026 11:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('not a date', now)).toBeUndefined();
  });
});
