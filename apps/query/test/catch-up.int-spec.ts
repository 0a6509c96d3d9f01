import { aTenant, expectEventually } from '@audit/testing';
import { Pipeline } from './support/pipeline';

/**
 * OpenSearch loses its data while the ledger keeps its records (a reset cluster, deleted indices):
 * Kafka will not redeliver what the projector already committed, so the query service re-reads the
 * ledger itself, says so on /readyz meanwhile, and search finds every record again.
 */
describe('the search projection catches up from the ledger', () => {
  const tenant = aTenant('cu');
  const p = new Pipeline(tenant);

  beforeAll(async () => {
    await p.start({ QUERY_CATCHUP_INTERVAL_MS: '500', QUERY_CATCHUP_SETTLE_MS: '0' });
    const occurredAt = new Date().toISOString();
    const events = Array.from({ length: 1200 }, (_, i) => ({
      type: 'deployment.failed',
      occurredAt,
      actor: { id: 'deploy-bot', type: 'pipeline' },
      resource: { kind: 'k8s.deployment', id: 'payments-api', environment: 'prod' },
      changeId: `CHG-${i % 40}`,
      outcome: 'failed',
    }));
    for (let i = 0; i < events.length; i += 400) expect((await p.emit(events.slice(i, i + 400))).status).toBe(202);
    await p.query.searchable(tenant, 1200);
  }, 120_000);
  afterAll(() => p.stop());

  it('re-indexes a tenant whose indices were deleted, reporting progress on /readyz, until search finds every record', async () => {
    const readiness: string[] = [];
    const index = `${p.query.prefix}-${tenant}_*`;
    const names = Object.keys((await p.query.opensearch.indices.get({ index })).body);
    await p.query.opensearch.indices.delete({ index: names.join(',') });

    await expectEventually(async () => {
      const res = await p.query.app.inject({ method: 'GET', url: '/readyz' });
      readiness.push(res.body);
      await p.query.opensearch.indices.refresh({ index, allow_no_indices: true, ignore_unavailable: true });
      const count = (await p.query.opensearch.count({ index, allow_no_indices: true, ignore_unavailable: true })).body.count;
      expect(count).toBe(1200);
      expect(res.statusCode).toBe(200);
    }, { timeoutMs: 60_000, intervalMs: 50 });
    expect(readiness.some((r) => new RegExp(`catching up from the ledger: tenant ${tenant} \\d+/1200`).test(r))).toBe(true);

    const auditor = await p.query.token(tenant, ['auditor']);
    const found = await p.query.call('GET', `/v1/search?q=${encodeURIComponent('type:deployment.failed')}&size=5`, auditor);
    expect(found.body['total']).toMatchObject({ value: 1200 });
  }, 90_000);
});
