import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AuditEventInput, Provenance } from '@audit/contracts';
import { aTenant, expectEventually } from '@audit/testing';
import { rebuildProjection } from '../src/rebuild/projection.rebuild';
import { digest, QueryHarness } from './support/query-harness';

const user = (id: string, roles: string[] = [], teams: string[] = []) => ({ id, type: 'user' as const, roles, teams });
const SHA = 'd'.repeat(40);

const APPROVALS_API = (id: string): Provenance => ({ kind: 'user_token', id: `idp|${id}`, auth: 'jwt', scopes: [], subject: id, roles: ['approver'], groups: ['sre'], via: 'approvals-api' });
const GATE_SERVICE: Provenance = { kind: 'service', id: 'approval-policy', auth: 'service-credential', scopes: [] };
const ONE_SRE = { id: 'prod-db', version: 3, digest: null, rule: 'prod-one-sre', require: { approvals: [{ group: 'sre', count: 1 }], breakGlass: false, acceptGithubReviews: false }, breakGlassReviewWithin: 'PT24H', frozen: [] };
/** The harness commits inputs as ingest would accept them; provenance is server-set, so it is added here. */
const trusted = (input: Partial<AuditEventInput>, provenance: Provenance) => ({ ...input, provenance }) as Partial<AuditEventInput>;

/** A change from request to deployment; `deployed` lets a test deploy something other than what was approved. */
function changeEvents(changeId: string, deployed: string, environment = 'prod'): Partial<AuditEventInput>[] {
  const resource = { kind: 'aws_db_instance', id: `${changeId.toLowerCase()}-db`, environment };
  const approved = digest('a');
  return [
    { type: 'change.requested', changeId, resource, actor: user('alice', ['developer'], ['payments']), commit: { repo: 'acme/infra', sha: SHA, author: 'carol' }, reason: 'resize' },
    { type: 'plan.created', changeId, resource, actor: { id: 'ci', type: 'pipeline', roles: [], teams: [] }, plan: { digest: digest('1'), summary: { adds: 0, changes: 1, destroys: 0, replacements: 0 } } },
    // Issue 15: only a trusted approval counts (here: the approvals API's verified token), and the story judges
    // the run by the rule our gate service recorded for the plan (details.policy), so both carry provenance.
    trusted({ type: 'approval.granted', changeId, resource, actor: user('bob', ['approver'], ['sre']), plan: { digest: digest('1') } }, APPROVALS_API('bob')),
    trusted(
      {
        type: 'gate.decided',
        changeId,
        resource,
        actor: { id: 'approval-policy', type: 'service', roles: [], teams: [] },
        outcome: 'allowed',
        plan: { digest: digest('1') },
        artifact: { digest: approved, kind: 'container-image' },
        details: { policyId: 'prod-db', policyVersion: 3, policy: ONE_SRE },
      },
      GATE_SERVICE,
    ),
    { type: 'deployment.started', changeId, resource, actor: { id: 'ci', type: 'pipeline', roles: [], teams: [] }, artifact: { digest: deployed, kind: 'container-image' } },
    { type: 'deployment.succeeded', changeId, resource, actor: { id: 'ci', type: 'pipeline', roles: [], teams: [] }, artifact: { digest: deployed, kind: 'container-image' }, outcome: 'succeeded' },
  ];
}

describe('lifecycle projection, change story and row-level security (real Kafka, Postgres, OpenSearch)', () => {
  const h = new QueryHarness();
  const tenantA = aTenant('la');
  const tenantB = aTenant('lb');
  let analystA: string;
  let analystB: string;

  beforeAll(async () => {
    await h.start();
    await h.watchReads();
    [analystA, analystB] = await Promise.all([h.token(tenantA, ['analyst']), h.token(tenantB, ['analyst'])]);
    await h.commit(tenantA, ...changeEvents('CHG-OK', digest('a')));
    await h.commit(tenantA, ...changeEvents('CHG-BAD', digest('e')));
    await h.commit(tenantA, { type: 'change.requested', changeId: 'CHG-DEV', resource: { kind: 'k8s.deployment', id: 'web', environment: 'dev' }, actor: user('dave') });
    await h.commit(tenantA, { type: 'access.granted', changeId: undefined, access: { principal: 'eve', role: 'admin' } });
    await h.commit(tenantB, ...changeEvents('CHG-B', digest('a')));
    await expectEventually(async () => {
      expect((await h.get('/v1/changes', analystA)).body.changes).toHaveLength(3);
      expect((await h.get('/v1/changes', analystB)).body.changes).toHaveLength(1);
    }, { timeoutMs: 45_000, intervalMs: 500 });
  });

  afterAll(() => h.stop());

  it('tells the story of a change in ledger order with verdicts and inclusion-proof links', async () => {
    const res = await h.get('/v1/changes/CHG-OK', analystA);
    expect(res.status).toBe(200);
    const story = res.body;
    expect(story.events.map((e: { seq: number; type: string }) => [e.seq, e.type])).toEqual([
      [1, 'change.requested'],
      [2, 'plan.created'],
      [3, 'approval.granted'],
      [4, 'gate.decided'],
      [5, 'deployment.started'],
      [6, 'deployment.succeeded'],
    ]);
    expect(story.events[2]).toMatchObject({ actor: { id: 'bob', roles: ['approver'], teams: ['sre'] }, proof: { inclusion: 'http://127.0.0.1:3003/v1/proofs/inclusion?seq=3' } });
    expect(story).toMatchObject({ changeId: 'CHG-OK', status: 'succeeded', requester: 'alice', environment: 'prod' });
    expect(story.verdicts).toMatchObject({
      approvedForPlanThatRan: { verdict: 'yes', ranPlanDigest: digest('1'), validApprovalSeqs: [3] },
      artifactMatch: { verdict: 'yes', deployedArtifactDigest: digest('a'), approvedArtifactDigest: digest('a'), approvedArtifactFromSeq: 4 },
      separationOfDuties: { verdict: 'held', requester: 'alice', commitAuthors: ['carol'], violations: [] },
      policy: { policyId: 'prod-db', version: '3', rule: 'prod-one-sre', fromSeq: 4 },
      outcome: { value: 'succeeded', fromSeq: 6, rolledBack: null },
    });
  });

  it('shows a mismatching artifact in the story and in the change list', async () => {
    const story = (await h.get('/v1/changes/CHG-BAD', analystA)).body;
    expect(story.verdicts.artifactMatch).toMatchObject({ verdict: 'no', deployedArtifactDigest: digest('e'), approvedArtifactDigest: digest('a') });
    const listed = (await h.get('/v1/changes?env=prod&status=succeeded', analystA)).body.changes;
    expect(listed.map((c: { changeId: string }) => c.changeId).sort()).toEqual(['CHG-BAD', 'CHG-OK']);
    expect(listed.find((c: { changeId: string }) => c.changeId === 'CHG-BAD').verdicts).toEqual({
      approvedForPlanThatRan: 'yes',
      ranPlanDigest: digest('1'),
      artifactMatch: 'no',
      separationOfDuties: 'held',
      policyVersion: '3',
      outcome: 'succeeded',
    });
  });

  it('lists with filters from the Postgres views', async () => {
    expect((await h.get('/v1/changes?env=dev', analystA)).body.changes).toMatchObject([{ changeId: 'CHG-DEV', status: 'requested', requester: 'dave' }]);
    expect((await h.get('/v1/changes?status=failed', analystA)).body.changes).toEqual([]);
    expect((await h.get('/v1/changes?status=bogus', analystA)).status).toBe(400);
  });

  it("never shows tenant A's change to tenant B's token", async () => {
    expect((await h.get('/v1/changes/CHG-OK', analystB)).status).toBe(404);
    expect((await h.get('/v1/changes', analystB)).body.changes.map((c: { changeId: string }) => c.changeId)).toEqual(['CHG-B']);
  });

  it('enforces tenant isolation in Postgres itself: raw SQL as the reader role sees only app.tenant', async () => {
    const client = await h.pool.connect();
    try {
      const tables = ['changes', 'change_events', 'plans', 'approvals', 'runs', 'projection_positions'];
      await client.query('BEGIN');
      await client.query('SET LOCAL ROLE audit_query_reader');
      await client.query("SELECT set_config('app.tenant', $1, true)", [tenantB]);
      for (const t of tables) {
        const { rows } = await client.query(`SELECT DISTINCT tenant FROM query.${t} WHERE tenant IN ($1, $2)`, [tenantA, tenantB]);
        expect({ t, tenants: rows.map((r) => r.tenant) }).toEqual({ t, tenants: [tenantB] });
      }
      // Even asking for A's rows by key returns nothing, and the reader cannot write.
      expect((await client.query('SELECT count(*)::int AS n FROM query.change_events WHERE tenant = $1', [tenantA])).rows[0].n).toBe(0);
      await expect(client.query("UPDATE query.changes SET status = 'failed' WHERE tenant = $1", [tenantA])).rejects.toThrow(/permission denied/);
      await client.query('ROLLBACK');

      await client.query('BEGIN');
      await client.query('SET LOCAL ROLE audit_query_reader');
      expect((await client.query('SELECT count(*)::int AS n FROM query.changes WHERE tenant IN ($1, $2)', [tenantA, tenantB])).rows[0].n).toBe(0);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    const rls = await h.pool.query(
      "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relnamespace = 'query'::regnamespace AND relkind = 'r' ORDER BY relname",
    );
    expect(rls.rows.length).toBeGreaterThanOrEqual(6);
    for (const r of rls.rows) expect(r).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true });
  });

  it('records each story and list read as an audit.read event', async () => {
    await h.get('/v1/changes/CHG-OK', analystA);
    await expectEventually(() => {
      expect(h.reads).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ tenant: tenantA, details: { endpoint: '/v1/changes/{changeId}', query: { changeId: 'CHG-OK' }, resultCount: 6 } }),
          expect.objectContaining({ tenant: tenantB, details: expect.objectContaining({ endpoint: '/v1/changes' }) }),
        ]),
      );
    }, { timeoutMs: 20_000 });
  });

  it('is idempotent: a replay of the same records changes no row', async () => {
    const status = async () => (await h.get('/v1/projections/status', await h.token(tenantA, ['auditor']))).body;
    const before = await status();
    expect(before.postgres).toMatchObject({ lastSeq: 14 });
    await h.publishRecords(h.published.filter((r) => r.event.tenant === tenantA));
    const marker = await h.commit(tenantA, { type: 'config.changed', changeId: undefined, reason: 'marker' });
    await expectEventually(async () => expect((await status()).postgres.lastSeq).toBe(marker[0]!.seq), { timeoutMs: 30_000, intervalMs: 300 });
    const after = await status();
    // config.changed has no change: the lifecycle rows are the same, only the position moved on.
    expect(after.postgres.checksum).toEqual(before.postgres.checksum);
  });

  it('rebuilds each projection from the committed log and ends with the same checksums', async () => {
    const deps = { config: h.config, pool: h.pool, kafka: h.kafka, opensearch: h.opensearch, logger: h.logger };
    const lastA = Math.max(...h.published.filter((r) => r.event.tenant === tenantA).map((r) => r.seq));
    await expectEventually(async () => expect((await h.get('/v1/projections/status', await h.token(tenantA, ['auditor']))).body.opensearch.lastSeq).toBe(lastA), {
      timeoutMs: 30_000,
      intervalMs: 300,
    });
    for (const projection of ['postgres', 'opensearch'] as const) {
      const report = await rebuildProjection(deps, projection, tenantA);
      expect(report).toMatchObject({ projection, tenant: tenantA, upToSeq: lastA, same: true });
      expect(report.before.rows).toBeGreaterThan(0);
      expect(report.after).toEqual(report.before);
      expect(report.replayed).toBeGreaterThanOrEqual(lastA);
    }
    expect((await h.get('/v1/changes/CHG-BAD', analystA)).body.verdicts.artifactMatch.verdict).toBe('no');
  });

  it('rebuilds through the command line, printing one JSON report per projection and exiting 0', async () => {
    const root = join(__dirname, '..', '..', '..');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['-r', '@swc-node/register', 'apps/query/src/rebuild/rebuild.ts', '--projection', 'all', '--tenant', tenantA],
      {
        cwd: root,
        env: { ...process.env, KAFKA_TOPIC_NAMESPACE: h.ns, OPENSEARCH_INDEX_PREFIX: h.prefix, LOG_LEVEL: 'warn' },
        timeout: 90_000,
      },
    );
    const reports = stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(reports.map((r) => [r.projection, r.tenant, r.same])).toEqual([
      ['postgres', tenantA, true],
      ['opensearch', tenantA, true],
    ]);
  }, 120_000);
});
