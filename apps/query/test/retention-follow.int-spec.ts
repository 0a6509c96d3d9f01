import { aTenant, expectEventually } from '@audit/testing';
import { runCli } from '../../cli/src/main';
import { Pipeline } from './support/pipeline';

/**
 * Read models follow the ledger: after `audit-ledger retention run` redacted payloads in the ledger, the
 * query service (told by the run's committed `retention.applied` record, re-reading the ledger) strips
 * them from OpenSearch and the Postgres lifecycle views; search and the change story say so.
 */
describe('read models follow retention', () => {
  const tenant = aTenant('rf');
  const p = new Pipeline(tenant);
  const secret = 'the-payload-that-must-go';
  const changeId = `CHG-${tenant}`;

  beforeAll(async () => {
    await p.start({ QUERY_PROJECTORS: 'postgres,opensearch' });
    const occurredAt = new Date().toISOString();
    const res = await p.emit([
      { type: 'change.requested', occurredAt, actor: { id: 'alice@example.com', type: 'user' }, resource: { kind: 'k8s.deployment', id: 'payments-api', environment: 'prod' }, changeId },
      ...[1, 2, 3].map((i) => ({
        type: 'deployment.failed',
        occurredAt,
        actor: { id: 'deploy-bot', type: 'pipeline' },
        resource: { kind: 'k8s.deployment', id: 'payments-api', environment: 'prod' },
        changeId,
        outcome: 'failed',
        reason: `${secret} ${i}`,
        source: { system: 'argo', runId: `run-${i}` },
      })),
    ]);
    expect(res.status).toBe(202);
    await p.query.searchable(tenant, 4);
    await expectEventually(async () => expect((await p.pool.query('SELECT count(*)::int AS n FROM query.runs WHERE tenant = $1', [tenant])).rows[0]).toEqual({ n: 3 }));
    await expectEventually(async () => expect((await p.pool.query('SELECT count(*)::int AS n FROM query.alert_change_events WHERE tenant = $1', [tenant])).rows[0]).toEqual({ n: 4 }));
  }, 90_000);
  afterAll(() => p.stop());

  it('after a retention run, search no longer returns the redacted payloads and marks the hits redacted; the story and the views follow', async () => {
    const auditor = await p.query.token(tenant, ['auditor']);
    const before = await p.query.call('GET', `/v1/search?q=${encodeURIComponent('type:deployment.failed')}`, auditor);
    expect(before.body['hits']).toHaveLength(3);
    expect(JSON.stringify(before.body['hits'])).toContain(secret);

    const env = { DATABASE_URL: process.env.DATABASE_URL, KAFKA_BROKERS: process.env.KAFKA_BROKERS, KAFKA_TOPIC_NAMESPACE: p.query.ns, SERVICE_CREDENTIAL_SECRET: process.env.SERVICE_CREDENTIAL_SECRET };
    let out = '';
    // 31 days pass on the CLI's clock (issue 17: a --now ahead of the clock and --by are refused).
    const later = () => new Date(Date.now() + 31 * 86_400_000);
    const cli = (argv: string[], clock?: () => Date) => runCli(argv, { stdout: (t) => void (out += t), stderr: (t) => void (out += t), env, ...(clock ? { clock } : {}) });
    expect(await cli(['retention', 'set', '--tenant', tenant, '--type', 'deployment.failed', '--days', '30'])).toBe(0);
    expect(await cli(['retention', 'run', '--tenant', tenant], later)).toBe(0);
    expect(out).toMatch(/redacted 3 payloads/);

    await expectEventually(async () => {
      const after = await p.query.call('GET', `/v1/search?q=${encodeURIComponent('type:deployment.failed')}`, auditor);
      const hits = after.body['hits'] as Record<string, unknown>[];
      expect(hits).toHaveLength(3);
      for (const hit of hits) {
        expect(hit).toMatchObject({ type: 'deployment.failed', changeId, seq: expect.any(Number), hash: expect.any(String), leafHash: expect.any(String), redactedAt: expect.any(String) });
        for (const gone of ['actor', 'resource', 'reason', 'outcome', 'source', 'details']) expect(hit).not.toHaveProperty(gone);
      }
      expect(JSON.stringify(after.body)).not.toContain(secret);
    }, { timeoutMs: 30_000 });
    // Nor can the payload be found by searching for it.
    expect((await p.query.call('GET', `/v1/search?q=${encodeURIComponent('actor:deploy-bot')}`, auditor)).body['hits']).toEqual([]);

    const story = await p.query.call('GET', `/v1/changes/${changeId}`, auditor);
    expect(story.status).toBe(200);
    const events = story.body['events'] as Record<string, unknown>[];
    expect(events.map((e) => [e['type'], e['redacted'] === true])).toEqual([['change.requested', false], ['deployment.failed', true], ['deployment.failed', true], ['deployment.failed', true]]);
    expect(events[1]).toMatchObject({ hash: expect.any(String), redactedAt: expect.any(String), proof: { inclusion: expect.stringContaining('seq=') } });
    expect(JSON.stringify(story.body)).not.toContain(secret);

    const { rows } = await p.pool.query<{ redacted: number; runs: number }>(
      `SELECT (SELECT count(*)::int FROM query.change_events WHERE tenant = $1 AND event IS NULL AND redacted_at IS NOT NULL) AS redacted,
              (SELECT count(*)::int FROM query.runs WHERE tenant = $1) AS runs`,
      [tenant],
    );
    expect(rows[0]).toEqual({ redacted: 3, runs: 0 });
    // The change histories the alert rules read forget them too.
    await expectEventually(async () => expect((await p.pool.query('SELECT count(*)::int AS n FROM query.alert_change_events WHERE tenant = $1', [tenant])).rows[0]).toEqual({ n: 1 }));
    const kept = await p.pool.query<{ hash: string }>('SELECT hash FROM query.change_events WHERE tenant = $1 AND event IS NULL', [tenant]);
    expect(kept.rows.every((r) => r.hash.length > 0)).toBe(true);
  }, 90_000);
});
