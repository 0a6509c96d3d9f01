import type { AuditEventInput, EventType } from '@audit/contracts';
import { aTenant, expectEventually } from '@audit/testing';
import { QueryHarness, type Json } from './support/query-harness';

const enc = encodeURIComponent;

/** Twelve types with no required fields: more than the 10 a bucket names, so two land in `other`. */
const TWELVE_TYPES: EventType[] = [
  'workflow.completed',
  'review.submitted',
  'retention.applied',
  'policy.published',
  'policy.evaluated',
  'legal_hold.changed',
  'ledger.verified',
  'k8s.request',
  'export.created',
  'config.changed',
  'alert.rule.changed',
  'alert.fired',
];

describe('GET /v1/search?histogram= against real Kafka and OpenSearch', () => {
  const h = new QueryHarness();
  const tenantA = aTenant('ha');
  const tenantB = aTenant('hb');
  let analystA: string;
  let analystB: string;

  beforeAll(async () => {
    await h.start({ QUERY_PROJECTORS: 'opensearch' });
    [analystA, analystB] = await Promise.all([h.token(tenantA, ['analyst']), h.token(tenantB, ['analyst'])]);
    const outcomes: (AuditEventInput['outcome'] | undefined)[] = ['succeeded', 'succeeded', 'succeeded', 'failed', 'failed'];
    await h.commit(
      tenantA,
      // 2026-01-05 10:xx: 12 events of 12 types; 3 succeeded, 2 failed, 7 without outcome.
      ...TWELVE_TYPES.map((type, i) => ({
        type,
        occurredAt: `2026-01-05T10:${String(i * 4).padStart(2, '0')}:00Z`,
        ...(outcomes[i] ? { outcome: outcomes[i] } : {}),
      })),
      // 11:xx nothing; 12:30 two failed config changes; two days later one more.
      { type: 'config.changed', occurredAt: '2026-01-05T12:30:00Z', outcome: 'failed' },
      { type: 'config.changed', occurredAt: '2026-01-05T12:59:59.999Z', outcome: 'failed' },
      { type: 'config.changed', occurredAt: '2026-01-07T09:00:00Z', outcome: 'succeeded' },
    );
    await h.commit(
      tenantB,
      { type: 'config.changed', occurredAt: '2026-01-05T10:15:00Z', outcome: 'denied' },
      { type: 'config.changed', occurredAt: '2026-01-05T10:16:00Z', outcome: 'denied' },
      { type: 'config.changed', occurredAt: '2026-01-05T10:17:00Z', outcome: 'denied' },
      { type: 'k8s.request', occurredAt: '2026-01-05T11:00:00Z' },
    );
    await expectEventually(async () => {
      expect((await h.get('/v1/search?size=50', analystA)).body.hits).toHaveLength(15);
      expect((await h.get('/v1/search?size=50', analystB)).body.hits).toHaveLength(4);
    }, { timeoutMs: 45_000, intervalMs: 500 });
  });

  afterAll(() => h.stop());

  const search = async (q: string, extra: string, token = analystA) => {
    const res = await h.get(`/v1/search?q=${enc(q)}${extra}`, token);
    expect(res.status).toBe(200);
    return res.body;
  };
  const totals = (body: Json) => (body.histogram.buckets as { start: string; total: number }[]).map((b) => [b.start, b.total]);

  it('counts every matching event per UTC hour by type and outcome, not just the page', async () => {
    const body = await search('', '&size=5&histogram=hour');
    expect(body.hits).toHaveLength(5);
    expect(body.nextCursor).toEqual(expect.any(String));
    expect(body.histogram).toMatchObject({ requested: 'hour', interval: 'hour', from: '2026-01-05T10:00:00.000Z', to: '2026-01-07T09:00:00.001Z' });
    const buckets = body.histogram.buckets as { start: string; total: number; byType: Json; byOutcome: Json }[];
    // 10:00 on the 5th to 09:00 on the 7th, both included: 48 hours, empty ones present with zero.
    expect(buckets).toHaveLength(48);
    expect(buckets.reduce((n, b) => n + b.total, 0)).toBe(15);
    expect(buckets[0]).toEqual({
      start: '2026-01-05T10:00:00.000Z',
      total: 12,
      // Ten types named (ties ordered by name), the other two counted together.
      byType: Object.fromEntries([...[...TWELVE_TYPES].sort().slice(0, 10).map((t) => [t, 1]), ['other', 2]]),
      byOutcome: { none: 7, succeeded: 3, failed: 2 },
    });
    expect(buckets[1]).toEqual({ start: '2026-01-05T11:00:00.000Z', total: 0, byType: {}, byOutcome: {} });
    expect(buckets[2]).toEqual({ start: '2026-01-05T12:00:00.000Z', total: 2, byType: { 'config.changed': 2 }, byOutcome: { failed: 2 } });
    expect(buckets[47]).toEqual({ start: '2026-01-07T09:00:00.000Z', total: 1, byType: { 'config.changed': 1 }, byOutcome: { succeeded: 1 } });
  });

  it('applies the same filter and the after:/before: range of the query, empty hours included', async () => {
    expect(totals(await search('outcome:failed', '&histogram=hour'))).toEqual([
      ['2026-01-05T10:00:00.000Z', 2],
      ['2026-01-05T11:00:00.000Z', 0],
      ['2026-01-05T12:00:00.000Z', 2],
    ]);
    const ranged = await search('after:2026-01-05T11:00:00Z before:2026-01-05T14:00:00Z', '&histogram=hour');
    expect(ranged.histogram).toMatchObject({ from: '2026-01-05T11:00:00.000Z', to: '2026-01-05T14:00:00.000Z' });
    expect(totals(ranged)).toEqual([
      ['2026-01-05T11:00:00.000Z', 0],
      ['2026-01-05T12:00:00.000Z', 2],
      ['2026-01-05T13:00:00.000Z', 0],
    ]);
    expect((await search('actor:nobody', '&histogram=hour')).histogram).toEqual({ requested: 'hour', interval: 'hour', from: null, to: null, buckets: [] });
  });

  it("counts only the caller's tenant", async () => {
    const b = await search('', '&histogram=hour', analystB);
    expect(b.histogram.buckets).toEqual([
      { start: '2026-01-05T10:00:00.000Z', total: 3, byType: { 'config.changed': 3 }, byOutcome: { denied: 3 } },
      { start: '2026-01-05T11:00:00.000Z', total: 1, byType: { 'k8s.request': 1 }, byOutcome: { none: 1 } },
    ]);
    const a = await search('before:2026-01-05T12:00:00Z', '&histogram=hour');
    expect(totals(a)).toEqual([
      ['2026-01-05T10:00:00.000Z', 12],
      ['2026-01-05T11:00:00.000Z', 0],
    ]);
  });

  it('falls back to days above 1000 hours and refuses above 1000 days, naming the parameter', async () => {
    const days = await search('after:2025-01-01 before:2026-02-01', '&histogram=hour');
    expect(days.histogram).toMatchObject({ requested: 'hour', interval: 'day' });
    expect(days.histogram.buckets).toHaveLength(396);
    expect(totals(days).filter(([, n]) => n !== 0)).toEqual([
      ['2026-01-05T00:00:00.000Z', 14],
      ['2026-01-07T00:00:00.000Z', 1],
    ]);
    expect((await search('', '&histogram=day')).histogram).toMatchObject({ interval: 'day', from: '2026-01-05T10:00:00.000Z' });

    const tooLong = await h.get(`/v1/search?q=${enc('after:2020-01-01 before:2026-02-01')}&histogram=hour`, analystA);
    expect(tooLong.status).toBe(400);
    expect(tooLong.body).toMatchObject({ title: 'Invalid request parameter', errors: [{ path: 'histogram', message: expect.stringMatching(/2223 daily buckets.*more than 1000/) }] });
  });

  it.each([
    ['&histogram=minute', /^histogram must be one of hour, day$/],
    ['&histogram=', /^histogram must be one of hour, day$/],
    ['&histogram=hour&histogram=day', /^histogram must be one of hour, day$/],
  ])('refuses %s with a problem naming histogram', async (extra, detail) => {
    const res = await h.get(`/v1/search?q=${extra}`, analystA);
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: 400, detail: expect.stringMatching(detail), errors: [{ path: 'histogram' }] });
  });

  it('is served with the first page only, and the response is unchanged without it', async () => {
    const first = await search('', '&size=5');
    expect(Object.keys(first).sort()).toEqual(['facets', 'hits', 'nextCursor', 'total']);
    const res = await h.get(`/v1/search?size=5&cursor=${first.nextCursor}&histogram=hour`, analystA);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ detail: expect.stringMatching(/^histogram is served with the first page only/), errors: [{ path: 'histogram' }] });
  });
});
