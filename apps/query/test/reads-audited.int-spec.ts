import type { AcceptedEvent } from '@audit/contracts';
import { aTenant, expectEventually } from '@audit/testing';
import { AlertingHarness } from './support/alerting-harness';

/**
 * Issue 17, finding 4: every read endpoint records an `audit.read` (who, what, how many), and search hides
 * those records by default. Real Kafka, Postgres and OpenSearch; the reads are read back from the
 * namespaced ingested topic, where the ledger would pick them up.
 */
describe('reads are audited (real Kafka, Postgres, OpenSearch)', () => {
  const h = new AlertingHarness();
  let ingested: unknown[];

  beforeAll(async () => {
    await h.start();
    ingested = await h.tap('ingested');
  });
  afterAll(() => h.stop());

  const readsOf = (tenant: string) => (ingested as AcceptedEvent[]).filter((e) => e.type === 'audit.read' && e.tenant === tenant);

  it('records alerts, alert rules and their versions, channels and exports reads, naming the reader, the resource and the count', async () => {
    const tenant = aTenant('rd');
    const admin = await h.token(tenant, ['admin'], 'root@example.com');
    expect((await h.call('PUT', '/v1/alert-rules/grants', admin, { type: 'match', name: 'grants', filter: 'type:access.granted' })).status).toBe(201);
    const reads = ['/v1/alerts?state=firing', '/v1/alert-rules', '/v1/alert-rules/grants/versions', '/v1/alert-channels', '/v1/exports'];
    for (const url of reads) expect([url, (await h.call('GET', url, admin)).status]).toEqual([url, 200]);
    await expectEventually(() => expect(readsOf(tenant)).toHaveLength(reads.length), { timeoutMs: 15_000 });
    const recorded = readsOf(tenant).map((e) => ({ actor: e.actor.id, ...(e.details as { endpoint: string; query: Record<string, unknown>; resultCount: number }) }));
    expect(recorded).toEqual(
      expect.arrayContaining([
        { actor: 'root@example.com', endpoint: '/v1/alerts', query: { state: 'firing' }, resultCount: 0 },
        { actor: 'root@example.com', endpoint: '/v1/alert-rules', query: {}, resultCount: expect.any(Number) },
        { actor: 'root@example.com', endpoint: '/v1/alert-rules/{ruleId}/versions', query: { ruleId: 'grants' }, resultCount: 1 },
        { actor: 'root@example.com', endpoint: '/v1/alert-channels', query: {}, resultCount: 0 },
        { actor: 'root@example.com', endpoint: '/v1/exports', query: { limit: 50 }, resultCount: 0 },
      ]),
    );
  });

  it('records nothing for a refused read (403, 404): there was no answer', async () => {
    const tenant = aTenant('rd');
    expect((await h.call('GET', '/v1/alerts', await h.token(tenant, ['viewer']))).status).toBe(403);
    expect((await h.call('GET', '/v1/alert-rules/nope/versions', await h.token(tenant, ['admin']))).status).toBe(404);
    const marker = await h.call('GET', '/v1/alert-channels', await h.token(tenant, ['admin']));
    expect(marker.status).toBe(200);
    await expectEventually(() => expect(readsOf(tenant).map((e) => (e.details as { endpoint: string }).endpoint)).toEqual(['/v1/alert-channels']), { timeoutMs: 15_000 });
  });

  it('search hides audit.read records by default; reads=show or naming the type shows them', async () => {
    const tenant = aTenant('rd');
    const analyst = await h.token(tenant, ['analyst']);
    await h.commit(tenant, { type: 'config.changed', reason: 'a change' }, { type: 'audit.read', reason: 'someone read' });
    await h.searchable(tenant, 2);
    const types = async (qs: string) => {
      const res = await h.call('GET', `/v1/search?${qs}`, analyst);
      expect(res.status).toBe(200);
      return (res.body.hits as { type: string }[]).map((x) => x.type).sort();
    };
    expect(await types('q=')).toEqual(['config.changed']);
    expect(await types('q=&reads=show')).toEqual(['audit.read', 'config.changed']);
    expect(await types(`q=${encodeURIComponent('type:audit.read')}`)).toEqual(['audit.read']);
    expect(await types(`q=${encodeURIComponent('type:audit.read')}&reads=hide`)).toEqual([]);
    expect((await h.call('GET', '/v1/search?reads=maybe', analyst)).status).toBe(400);
  });
});
