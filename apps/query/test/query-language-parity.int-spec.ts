import fc from 'fast-check';
import type { AuditEventInput } from '@audit/contracts';
import { matchesEvent, parseQuery } from '@audit/query-language';
import { aTenant, expectEventually } from '@audit/testing';
import { QueryHarness } from './support/query-harness';

/**
 * The search language has two implementations: the in-memory matcher (alert rules, exports) and the
 * OpenSearch translation (search, scheduled rules). This property indexes random events into a test
 * index on the real OpenSearch and checks, for random queries, that both select the same events.
 */
const WORDS = ['database', 'payments', 'health', 'check', 'timed', 'restart', 'config'] as const;
const DAYS = ['2026-01-05T10:00:00Z', '2026-01-15T00:00:00Z', '2026-01-20T08:30:00Z', '2026-02-01T00:00:00Z', '2026-02-03T12:00:00Z'];

const anEvent: fc.Arbitrary<Partial<AuditEventInput>> = fc.record({
  // Types whose required fields the builder fills (change.requested: changeId).
  type: fc.constantFrom('change.requested', 'config.changed'),
  occurredAt: fc.constantFrom(...DAYS),
  actor: fc.record({
    id: fc.constantFrom('alice', 'bob', 'carol'),
    type: fc.constant('user' as const),
    roles: fc.subarray(['sre', 'developer']),
    teams: fc.subarray(['payments', 'platform']),
    displayName: fc.option(fc.constantFrom('Alice Payments', 'Bob Restart'), { nil: undefined }),
  }),
  resource: fc.record({
    kind: fc.constantFrom('aws_db_instance', 'k8s.deployment'),
    id: fc.constantFrom('payments-db', 'payments-api', 'web-config'),
    environment: fc.constantFrom('prod', 'staging'),
    name: fc.option(fc.constantFrom('payments database', 'health service'), { nil: undefined }),
  }),
  outcome: fc.option(fc.constantFrom('failed' as const, 'succeeded' as const), { nil: undefined }),
  reason: fc.option(fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 4 }).map((w) => w.join(' ')), { nil: undefined }),
});

const LEAVES = [
  'actor:alice', 'actor:bob', 'env:prod', 'env:staging', 'type:change.requested', 'type:config.changed', 'type:change.*',
  'team:payments', 'role:sre', 'outcome:failed', 'resource:payments-db', 'resource:pa*', 'kind:k8s.*',
  'after:2026-01-15', 'before:2026-02-01', ...WORDS, '"health check"', '"payments database"', 'payments database', 'payments-database', 'alice-restart',
];

const aQuery: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...LEAVES),
    tie('node').map((n) => `-${n.startsWith('-') ? `(${n})` : n}`),
    fc.tuple(tie('node'), tie('node')).map(([a, b]) => `(${a} ${b})`),
    fc.tuple(tie('node'), tie('node')).map(([a, b]) => `(${a} OR ${b})`),
    fc.tuple(tie('node'), tie('node')).map(([a, b]) => `${a} AND ${b}`),
  ),
})).node.filter((q) => parseQuery(q).ok);

describe('query language parity: in-memory matcher = OpenSearch translation (real OpenSearch)', () => {
  const h = new QueryHarness();
  const tenant = aTenant('qp');
  let analyst: string;
  const events = fc.sample(anEvent, { numRuns: 60, seed: 17 });

  beforeAll(async () => {
    await h.start({ QUERY_PROJECTORS: 'opensearch', SEARCH_MAX_SIZE: '200' });
    analyst = await h.token(tenant, ['analyst']);
    await h.commit(tenant, ...events);
    await expectEventually(async () => expect((await h.get('/v1/search?size=200', analyst)).body.hits).toHaveLength(events.length), { timeoutMs: 45_000, intervalMs: 500 });
  }, 90_000);
  afterAll(() => h.stop());

  it('selects the same events for random queries', async () => {
    const committed = h.published.filter((r) => r.event.tenant === tenant);
    await fc.assert(
      fc.asyncProperty(aQuery, async (q) => {
        const parsed = parseQuery(q);
        if (!parsed.ok) throw new Error(`generator produced an invalid query: ${q}`);
        const expected = committed.filter((r) => matchesEvent(parsed.ast, r.event)).map((r) => r.seq).sort((a, b) => a - b);
        const res = await h.get(`/v1/search?size=200&q=${encodeURIComponent(q)}`, analyst);
        expect(res.status).toBe(200);
        const actual = (res.body.hits as { seq: number }[]).map((x) => x.seq).sort((a, b) => a - b);
        expect({ q, seqs: actual }).toEqual({ q, seqs: expected });
      }),
      { numRuns: 150, seed: 1717 },
    );
  }, 120_000);
});
