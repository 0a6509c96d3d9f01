import { aTenant, expectEventually } from '@audit/testing';
import { digest, QueryHarness, type Json } from './support/query-harness';

const enc = encodeURIComponent;

describe('GET /v1/search against real Kafka and OpenSearch', () => {
  const h = new QueryHarness();
  const tenantA = aTenant('qa');
  const tenantB = aTenant('qb');
  let analystA: string;
  let viewerA: string;
  let analystB: string;

  beforeAll(async () => {
    await h.start({ QUERY_PROJECTORS: 'opensearch' });
    await h.watchReads();
    [analystA, viewerA, analystB] = await Promise.all([h.token(tenantA, ['analyst']), h.token(tenantA, ['viewer']), h.token(tenantB, ['analyst'])]);
    const alice = { id: 'alice', type: 'user' as const, roles: ['developer'], teams: ['payments'] };
    const bob = { id: 'bob', type: 'user' as const, roles: ['sre'], teams: ['platform'] };
    await h.commit(
      tenantA,
      { type: 'change.requested', actor: alice, occurredAt: '2026-01-05T10:00:00Z', reason: 'raise max connections on the payments database', changeId: 'CHG-A1' },
      { type: 'deployment.started', actor: bob, occurredAt: '2026-01-06T10:00:00Z', changeId: 'CHG-A1', artifact: { digest: digest('a'), kind: 'container-image' } },
      {
        type: 'deployment.failed',
        actor: bob,
        occurredAt: '2026-01-06T10:05:00Z',
        changeId: 'CHG-A1',
        outcome: 'failed',
        reason: 'health check timed out',
        details: { secret: 'only-analysts', 'weird.key with spaces': { nested: [1, 2] } },
      },
      { type: 'config.changed', actor: alice, occurredAt: '2026-02-01T09:00:00Z', resource: { kind: 'k8s.configmap', id: 'web-config', environment: 'staging' }, outcome: 'succeeded' },
      { type: 'deployment.succeeded', actor: bob, occurredAt: '2026-02-02T09:00:00Z', changeId: 'CHG-A2', resource: { kind: 'aws_db_instance', id: 'db-orders', environment: 'prod' }, artifact: { digest: digest('b'), kind: 'container-image' }, outcome: 'succeeded' },
    );
    await h.commit(tenantB, { type: 'change.requested', actor: { id: 'mallory', type: 'user', roles: [], teams: [] }, reason: 'tenant b secret plan', changeId: 'CHG-B1' });
    await expectEventually(async () => {
      expect((await h.get('/v1/search?size=50', analystA)).body.hits).toHaveLength(5);
      expect((await h.get('/v1/search', analystB)).body.hits).toHaveLength(1);
    }, { timeoutMs: 45_000, intervalMs: 500 });
  });

  afterAll(() => h.stop());

  const search = async (q: string, token = analystA, extra = '') => {
    const res = await h.get(`/v1/search?q=${enc(q)}${extra}`, token);
    expect(res.status).toBe(200);
    return res.body;
  };
  const seqs = (body: Json) => (body.hits as { seq: number }[]).map((x) => x.seq);

  it('serves committed events newest first with seq, hashes and facets', async () => {
    const body = await search('');
    expect(seqs(body)).toEqual([5, 4, 3, 2, 1]);
    expect(body.hits[0]).toMatchObject({ tenant: tenantA, seq: 5, type: 'deployment.succeeded', hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(body.total).toEqual({ value: 5, relation: 'eq' });
    expect(body.facets.type).toEqual(expect.arrayContaining([{ value: 'deployment.started', count: 1 }, { value: 'change.requested', count: 1 }]));
    expect(body.facets.actor).toEqual([{ value: 'alice', count: 2 }, { value: 'bob', count: 3 }].sort((a, b) => b.count - a.count));
    expect(body.facets.environment).toEqual(expect.arrayContaining([{ value: 'prod', count: 4 }, { value: 'staging', count: 1 }]));
    expect(body.facets.outcome).toEqual(expect.arrayContaining([{ value: 'failed', count: 1 }]));
  });

  it.each([
    ['actor:alice', [4, 1]],
    ['type:deployment.*', [5, 3, 2]],
    ['env:staging', [4]],
    ['resource:db-*', [5]],
    ['outcome:failed', [3]],
    ['after:2026-02-01', [5, 4]],
    ['before:2026-01-06T10:05:00Z', [2, 1]],
    ['after:2026-01-06 before:2026-02-01', [3, 2]],
    ['"max connections"', [1]],
    ['health', [3]],
    ['-env:prod', [4]],
    ['actor:bob -type:deployment.started', [5, 3]],
    ['env:staging OR outcome:failed', [4, 3]],
    ['actor:bob (outcome:failed OR outcome:succeeded)', [5, 3]],
    ['-(actor:bob OR env:staging)', [1]],
    [`artifact:${digest('a')}`, [2]],
    ['change:CHG-A1 team:platform', [3, 2]],
  ])('%s', async (q, expected) => {
    expect(seqs(await search(q))).toEqual(expected);
  });

  it('pages with an opaque search_after cursor, without gaps or repeats', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 5; page++) {
      const body: Json = await search('', analystA, `&size=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...seqs(body));
      cursor = body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual([5, 4, 3, 2, 1]);
  });

  it('refuses a cursor that was tampered with or belongs to another query', async () => {
    const first = await search('actor:bob', analystA, '&size=1');
    const other = await h.get(`/v1/search?q=actor:alice&cursor=${first.nextCursor}`, analystA);
    expect(other.status).toBe(400);
    expect(other.body.detail).toMatch(/different query/);
    const forged = Buffer.from(JSON.stringify({ v: 1, t: 'x', s: 1, q: 'a' })).toString('base64url');
    expect((await h.get(`/v1/search?cursor=${forged}`, analystA)).status).toBe(400);
  });

  it('answers a syntax error with 400 problem+json, the position and what was expected', async () => {
    const res = await h.get(`/v1/search?q=${enc('actor:alice (env:prod')}`, analystA);
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.body).toMatchObject({ title: 'The search query is not valid', position: 21, expected: expect.arrayContaining([')']) });
  });

  it.each([
    ['{"match_all":{}}', 12],
    ['*:*', 0],
    ['_exists_:details', 0],
    ['actor:a OR tenant:' + 'b', 11],
    [`tenant:${'x'}`, 0],
    ['resource:*', 9],
    ['resource:ab*c*d*e*f*', 9],
    [`actor:${'a'.repeat(300)}`, 6],
    ['details.secret:only-analysts', 0],
  ])('refuses the injection attempt %s', async (q, position) => {
    const res = await h.get(`/v1/search?q=${enc(q)}`, analystB);
    expect(res.status).toBe(400);
    expect(res.body.position).toBe(position);
  });

  it('refuses 350 leading negations with 400 at the first one too many, not a 500 from an overflowed OpenSearch stack (issue 17)', async () => {
    const res = await h.get(`/v1/search?q=${enc(`${'-'.repeat(350)}actor:x`)}`, viewerA);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ title: 'The search query is not valid', position: 8, detail: expect.stringMatching(/nest deeper than 8 levels/) });
    // The cluster is still there and answers the deepest query the language allows.
    const deepest = await h.get(`/v1/search?q=${enc(`${'-'.repeat(7)}actor:x`)}`, viewerA);
    expect(deepest.status).toBe(200);
    expect(deepest.body.hits.length).toBeGreaterThanOrEqual(5);
  });

  it("neutralises quoted injection attempts: they are data, and never reach another tenant's events", async () => {
    for (const q of ['"*:*"', 'actor:"* OR tenant:' + tenantA + '"', '"{\\"match_all\\":{}}"', `actor:"alice"`, 'type:*.*x'.replace('*.*x', 'deployment.*')]) {
      const body = await search(q, analystB);
      expect(body.hits.every((x: { tenant: string }) => x.tenant === tenantB)).toBe(true);
    }
    expect((await search('', analystB)).hits.map((x: { tenant: string; seq: number }) => [x.tenant, x.seq])).toEqual([[tenantB, 1]]);
    expect((await search('mallory', analystA)).hits).toEqual([]);
  });

  it('shows details to analysts and hides them from viewers', async () => {
    const full = await search('outcome:failed');
    expect(full.hits[0].details).toEqual({ secret: 'only-analysts', 'weird.key with spaces': { nested: [1, 2] } });
    const viewer = await search('outcome:failed', viewerA);
    expect(viewer.hits[0]).not.toHaveProperty('details');
    expect(viewer.hits[0]).toMatchObject({ seq: 3, reason: 'health check timed out' });
  });

  it('is idempotent: duplicated and replayed records do not add documents', async () => {
    await h.publishRecords(h.published.filter((r) => r.event.tenant === tenantA).slice(0, 3));
    const marker = await h.commit(tenantA, { type: 'config.changed', occurredAt: '2026-03-01T00:00:00Z', reason: 'marker after the replay' });
    await expectEventually(async () => expect(seqs(await search('marker'))).toEqual([marker[0]!.seq]), { timeoutMs: 30_000, intervalMs: 300 });
    expect((await search('')).total.value).toBe(6);
  });

  it('records every search as an audit.read event on the ingested topic', async () => {
    const q = 'env:staging OR outcome:failed';
    await search(q, viewerA);
    await expectEventually(() => {
      const read = h.reads.find((r) => r.tenant === tenantA && (r.details as { query?: { q?: string } }).query?.q === q && r.actor.roles.includes('viewer'));
      expect(read).toMatchObject({
        type: 'audit.read',
        tenant: tenantA,
        actor: { id: 'reader-viewer@example.com', type: 'user', roles: ['viewer'], teams: ['security'] },
        details: { endpoint: '/v1/search', query: { q, size: 50 }, resultCount: 2 },
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7/),
      });
    }, { timeoutMs: 20_000 });
  });

  it('reports the projection lag per partition', async () => {
    const metrics = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/query_projection_lag_messages\{projection="opensearch",partition="\d+",service="query"\} 0/);
  });
});
