import { decideFiring, decideTransition, mergeSeqs } from './alert-decider';
import { decideSpike } from '../evaluation/scheduled-rules';
import { retryDelayMs, signWebhook, verifyWebhook } from '../notifications/webhook-signature';

describe('dedupe and throttle', () => {
  const open = { id: 'a1', state: 'firing' as const, lastNotifiedAt: '2026-11-25T10:00:00.000Z', fireCount: 1, matchedSeqs: [1] };
  it('opens when nothing is open; repeats notify only after realert; acknowledged never re-notifies', () => {
    expect(decideFiring(null, { at: '2026-11-25T10:00:00.000Z' }, 600_000)).toEqual({ kind: 'open' });
    expect(decideFiring(open, { at: '2026-11-25T10:09:59.999Z' }, 600_000)).toEqual({ kind: 'repeat', notify: false });
    expect(decideFiring(open, { at: '2026-11-25T10:10:00.000Z' }, 600_000)).toEqual({ kind: 'repeat', notify: true });
    expect(decideFiring({ ...open, state: 'acknowledged' }, { at: '2026-11-26T10:00:00.000Z' }, 600_000)).toEqual({ kind: 'repeat', notify: false });
  });
  it('lifecycle transitions', () => {
    expect(decideTransition('firing', 'acknowledged')).toEqual({ ok: true });
    expect(decideTransition('acknowledged', 'resolved')).toEqual({ ok: true });
    expect(decideTransition('firing', 'resolved')).toEqual({ ok: true });
    expect(decideTransition('acknowledged', 'acknowledged').ok).toBe(false);
    expect(decideTransition('resolved', 'acknowledged').ok).toBe(false);
  });
  it('keeps evidence bounded, first and latest', () => {
    expect(mergeSeqs([1, 2], [2, 3])).toEqual([1, 2, 3]);
    expect(mergeSeqs([1, 2, 3, 4], [5, 6], 4)).toEqual([1, 2, 5, 6]);
  });
});

describe('spike decision', () => {
  const d = { ratio: 3, minCount: 10, direction: 'both' as const };
  it('up needs minCount and ratio × reference; down needs a reference of minCount', () => {
    expect(decideSpike(d, 30, 10)).toBe('spike:');
    expect(decideSpike(d, 29, 10)).toBeNull();
    expect(decideSpike(d, 9, 0)).toBeNull();
    expect(decideSpike(d, 10, 0)).toBe('spike:');
    expect(decideSpike(d, 3, 10)).toBe('drop:');
    expect(decideSpike(d, 4, 10)).toBeNull();
    expect(decideSpike({ ...d, direction: 'up' }, 3, 10)).toBeNull();
  });
});

describe('webhook signature', () => {
  it('signs "<timestamp>.<body>" with HMAC-SHA256 and verifies within the tolerance only', () => {
    const sig = signWebhook('s3cret-s3cret-s3cret', 1764064800, '{"a":1}');
    // echo -n '1764064800.{"a":1}' | openssl dgst -sha256 -hmac s3cret-s3cret-s3cret
    expect(sig).toBe('sha256=76ce3ff92598b6e5f490bd3a30618178fd71f2edfa2bc1a210854782dd2361c1');
    expect(verifyWebhook('s3cret-s3cret-s3cret', { signature: sig, timestamp: '1764064800' }, '{"a":1}', 1764064900)).toBe(true);
    expect(verifyWebhook('s3cret-s3cret-s3cret', { signature: sig, timestamp: '1764064800' }, '{"a":2}', 1764064900)).toBe(false);
    expect(verifyWebhook('other-secret-value!!', { signature: sig, timestamp: '1764064800' }, '{"a":1}', 1764064900)).toBe(false);
    expect(verifyWebhook('s3cret-s3cret-s3cret', { signature: sig, timestamp: '1764064800' }, '{"a":1}', 1764065200)).toBe(false);
  });
  it('backs off exponentially, capped', () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, 1000))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(30, 1000)).toBe(300_000);
  });
});
