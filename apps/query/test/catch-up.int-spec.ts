import { aTenant, expectEventually } from '@audit/testing';
import { Pipeline } from './support/pipeline';

/**
 * The projections lose data while the ledger keeps its records (a reset OpenSearch cluster, Postgres
 * views restored from an old backup): Kafka will not redeliver what the projectors already committed,
 * so the query service re-reads the ledger itself, says so on /readyz meanwhile, and both hold every
 * record again.
 */
describe('the projections catch up from the ledger', () => {
  const tenant = aTenant('cu');
  const p = new Pipeline(tenant);

  beforeAll(async () => {
    await p.start({ QUERY_PROJECTORS: 'postgres,opensearch', QUERY_CATCHUP_INTERVAL_MS: '500', QUERY_CATCHUP_SETTLE_MS: '0' });
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
    await expectEventually(async () => expect(await changeEvents()).toBe(1200), { timeoutMs: 30_000 });
  }, 120_000);
  const changeEvents = async () => Number((await p.pool.query('SELECT count(*) AS n FROM query.change_events WHERE tenant = $1', [tenant])).rows[0]?.n);
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
    expect(readiness.some((r) => new RegExp(`catching up from the ledger: opensearch tenant ${tenant} \\d+/1200`).test(r))).toBe(true);

    const auditor = await p.query.token(tenant, ['auditor']);
    const found = await p.query.call('GET', `/v1/search?q=${encodeURIComponent('type:deployment.failed')}&size=5`, auditor);
    expect(found.body['total']).toMatchObject({ value: 1200 });
  }, 90_000);

  it('re-projects the Postgres views of a tenant whose rows and position were lost', async () => {
    // Settled first: the reads of the test before are records too (audit.read), still on their way.
    const head = async () => Number((await p.pool.query('SELECT max(seq) AS s FROM ledger.records WHERE tenant = $1', [tenant])).rows[0]?.s);
    const position = async () => Number((await p.pool.query("SELECT last_seq FROM query.projection_positions WHERE projection = 'postgres' AND tenant = $1", [tenant])).rows[0]?.last_seq ?? 0);
    await expectEventually(async () => {
      expect(await head()).toBeGreaterThan(1200);
      expect(await position()).toBe(await head());
    }, { timeoutMs: 30_000 });
    const at = await head();
    for (const table of ['change_events', 'changes', 'plans', 'approvals', 'runs']) await p.pool.query(`DELETE FROM query.${table} WHERE tenant = $1`, [tenant]);
    await p.pool.query("DELETE FROM query.projection_positions WHERE projection = 'postgres' AND tenant = $1", [tenant]);
    await expectEventually(async () => {
      expect(await changeEvents()).toBe(1200);
      expect(await position()).toBe(at);
      expect((await p.pool.query('SELECT count(*)::int AS n FROM query.changes WHERE tenant = $1', [tenant])).rows[0]).toEqual({ n: 40 });
    }, { timeoutMs: 60_000 });
    const auditor = await p.query.token(tenant, ['auditor']);
    const story = await p.query.call('GET', '/v1/changes/CHG-7', auditor);
    expect(story.status).toBe(200);
    expect(story.body['events']).toHaveLength(30);
  }, 90_000);
});
