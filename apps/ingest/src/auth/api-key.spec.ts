import { hashApiKeySecret, issueApiKey, parseApiKey } from '@audit/contracts';
import { keyFromHeaders, secretMatches } from './api-key';
import { TokenBuckets } from './token-bucket';

describe('API keys', () => {
  it('issues alk_<id>.<secret> tokens that parse back, storing only the hash', () => {
    const key = issueApiKey();
    expect(key.token).toMatch(/^alk_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
    expect(parseApiKey(key.token)).toEqual({ keyId: key.keyId, secret: key.secret });
    expect(key.secretSha256.equals(hashApiKeySecret(key.secret))).toBe(true);
    expect(secretMatches(key.secret, key.secretSha256)).toBe(true);
    expect(secretMatches(`${key.secret.slice(0, -1)}x`, key.secretSha256)).toBe(false);
    expect(secretMatches(key.secret, Buffer.alloc(3))).toBe(false);
  });

  it('refuses malformed tokens', () => {
    for (const t of ['', 'alk_', 'alk_xyz.abc', `alk_0123456789abcdef.${'A'.repeat(42)}`, `Bearer alk_0123456789abcdef.${'A'.repeat(43)}`]) {
      expect(parseApiKey(t)).toBeUndefined();
    }
  });

  it('reads Bearer or X-Api-Key, and refuses two different keys', () => {
    expect(keyFromHeaders({})).toBeUndefined();
    expect(keyFromHeaders({ authorization: 'Bearer abc' })).toEqual({ token: 'abc' });
    expect(keyFromHeaders({ 'x-api-key': 'abc' })).toEqual({ token: 'abc' });
    expect(keyFromHeaders({ authorization: 'Basic abc' })).toHaveProperty('error');
    expect(keyFromHeaders({ authorization: 'Bearer abc', 'x-api-key': 'def' })).toHaveProperty('error');
    expect(keyFromHeaders({ authorization: 'bearer abc', 'x-api-key': 'abc' })).toEqual({ token: 'abc' });
  });
});

describe('TokenBuckets', () => {
  it('allows the burst, then refills at the rate, with a Retry-After', () => {
    const buckets = new TokenBuckets({ ratePerSecond: 2, burst: 3 });
    const t0 = 1_000_000;
    expect([1, 2, 3].map(() => buckets.take('k', t0).allowed)).toEqual([true, true, true]);
    expect(buckets.take('k', t0)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(buckets.take('k', t0 + 500).allowed).toBe(true);
    expect(buckets.take('other', t0).allowed).toBe(true);
  });

  it('never refills beyond the burst', () => {
    const buckets = new TokenBuckets({ ratePerSecond: 100, burst: 2 });
    buckets.take('k', 0);
    expect(buckets.take('k', 3_600_000).allowed).toBe(true);
    expect(buckets.take('k', 3_600_000).allowed).toBe(true);
    expect(buckets.take('k', 3_600_000).allowed).toBe(false);
  });
});
