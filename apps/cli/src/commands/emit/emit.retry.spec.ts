import { chunk, contentIdempotencyKey, isRetryableStatus, parseJsonLines, retryDelayMs } from './emit.retry';

describe('emit retry policy', () => {
  it('retries only on 429/502/503/504', () => {
    expect([429, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 409, 413, 415, 422, 500].some(isRetryableStatus)).toBe(false);
  });
  it('backs off exponentially with jitter, capped, honouring Retry-After', () => {
    expect(retryDelayMs(1, null, 1)).toBe(250);
    expect(retryDelayMs(3, null, 1)).toBe(1000);
    expect(retryDelayMs(20, null, 1)).toBe(15_000);
    expect(retryDelayMs(1, '5', 0.1)).toBe(5000);
    expect(retryDelayMs(1, 'soon', 1)).toBe(250);
  });
  it('derives a stable idempotency key from the body', () => {
    expect(contentIdempotencyKey('{"a":1}')).toBe(contentIdempotencyKey('{"a":1}'));
    expect(contentIdempotencyKey('{"a":1}')).not.toBe(contentIdempotencyKey('{"a":2}'));
  });
  it('parses JSON lines, naming the bad line', () => {
    expect(parseJsonLines('{"a":1}\n\n# c\n{"b":2}\r\n')).toEqual({ ok: true, events: [{ a: 1 }, { b: 2 }] });
    expect(parseJsonLines('{"a":1}\n{oops}')).toEqual({ ok: false, error: expect.stringMatching(/^line 2:/) });
  });
  it('chunks', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });
});
