import { createHash } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mintDevToken, type Principal } from '@audit/auth';
import { aTenant, bootService, expectEventually } from '@audit/testing';
import { AppModule as ApprovalPolicyModule } from '../../approval-policy/src/app.module';
import { ApprovalPolicyEnv } from '../../approval-policy/src/config';
import { ChangeViewRepository } from '../../approval-policy/src/ledger-view/change-view.repository';
import { Pipeline } from './support/pipeline';

const digest = (label: string) => `sha256:${createHash('sha256').update(label).digest('hex')}`;
const resource = { kind: 'aws_db_instance', id: 'payments-db', environment: 'prod' };
const pipelineActor = { id: 'deploy-bot', type: 'pipeline', roles: [], teams: [] };

/**
 * Issue 15, deliverables 3 and 5, through the public APIs on the real stack: ingest (API key) → ledger →
 * approval-policy (approvals API, gate) and query (change story, changes list, alerts), one topic namespace,
 * real clock. The gate, the story and the alerts must agree, and only trusted approvals count.
 */
describe('one change model: gate, story and alerts agree; only trusted approvals count (real stack)', () => {
  const tenant = aTenant('cm');
  const p = new Pipeline(tenant);
  let approvals: NestFastifyApplication;
  let admin: string, analyst: string, bob: string, erin: string, deployer: string;

  const token = (who: Partial<Principal> & { sub: string }) =>
    mintDevToken({ tenant, roles: [], groups: [], ...who }, { issuer: p.query.config.JWT_ISSUER, audience: p.query.config.JWT_AUDIENCE, hmacSecret: p.query.config.JWT_DEV_SECRET });
  const ap = async (method: 'POST' | 'PUT', url: string, bearer: string, payload: unknown) => {
    const res = await approvals.inject({ method, url, headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions, not trust, check these values
    return { status: res.statusCode, body: JSON.parse(res.body) as Record<string, any> };
  };
  const emit = async (changeId: string, ...events: Record<string, unknown>[]) => {
    const res = await p.emit(events.map((e) => ({ occurredAt: new Date().toISOString(), actor: pipelineActor, resource, changeId, ...e })));
    expect(res.status).toBe(202);
  };
  /** Waits until approval-policy's view holds `count` events of the change (committed by the ledger and consumed). */
  const viewHas = (changeId: string, count: number) =>
    expectEventually(async () => expect((await approvals.get(ChangeViewRepository).changeEvents(tenant, changeId)).length).toBeGreaterThanOrEqual(count), { timeoutMs: 30_000 });
  /** Waits until approval-policy's view holds the change's plan.created of `plan`. */
  const viewHasPlan = (changeId: string, plan: string) =>
    expectEventually(async () => {
      const events = await approvals.get(ChangeViewRepository).changeEvents(tenant, changeId);
      expect(events.some((e) => e.event.type === 'plan.created' && e.event.plan?.digest === plan)).toBe(true);
    }, { timeoutMs: 30_000 });
  const lastSeq = async () => Number((await p.pool.query<{ s: string }>('SELECT max(seq) AS s FROM ledger.records WHERE tenant = $1', [tenant])).rows[0]?.s ?? 0);
  /** The change story once the query service projected `count` of its events. */
  const storyOf = (changeId: string, count: number) =>
    expectEventually(async () => {
      const res = await p.query.call('GET', `/v1/changes/${changeId}`, analyst);
      expect(res.status).toBe(200);
      expect(res.body.eventCount).toBeGreaterThanOrEqual(count);
      return res.body;
    }, { timeoutMs: 30_000, intervalMs: 300 });
  /** The alerts of the rules that judge changes (off-hours depends on the wall clock, so it is left out). */
  const JUDGING = new Set(['builtin.prod-without-approval', 'builtin.artifact-mismatch', 'builtin.untrusted-approval']);
  const alertsOf = async (changeId: string) => {
    await p.query.evaluated(tenant, await lastSeq());
    return (await p.query.alerts(tenant)).filter((a) => JUDGING.has(a.rule_id) && a.group_key.startsWith(changeId)).map((a) => a.rule_id).sort();
  };
  const gate = (changeId: string, planDigest: string, artifactDigest?: string) =>
    ap('POST', '/v1/gate', deployer, { changeId, environment: 'prod', planDigest, ...(artifactDigest ? { artifactDigest } : {}) });

  beforeAll(async () => {
    // The change story and the changes list read the Postgres lifecycle projection (the pipeline runs only OpenSearch by default).
    await p.start({ QUERY_PROJECTORS: 'postgres' });
    approvals = await bootService(
      { service: 'approval-policy', env: ApprovalPolicyEnv, module: (config, logger) => ApprovalPolicyModule.forRoot(config, logger, { clock: () => new Date() }), uses: { postgres: true, kafka: true } },
      { KAFKA_TOPIC_NAMESPACE: p.query.ns, OVERDUE_SWEEP_INTERVAL_MS: '0' },
    );
    [admin, analyst, bob, erin, deployer] = await Promise.all([
      token({ sub: 'root-admin', roles: ['admin'] }),
      token({ sub: 'auditor-1', roles: ['analyst'] }),
      token({ sub: 'bob', groups: ['sre'] }),
      token({ sub: 'erin', groups: ['security'] }),
      token({ sub: 'deploy-pipeline', groups: ['pipelines'] }),
    ]);
    const policy = await ap('PUT', '/v1/policies', admin, {
      groups: [
        { name: 'sre', members: ['bob', 'carol'] },
        { name: 'security', members: ['erin', 'mallory'] },
      ],
      rules: [{ name: 'prod-two-keys', when: 'change.environment == "prod"', require: { approvals: [{ group: 'sre', count: 1 }, { group: 'security', count: 1 }] } }],
    });
    expect(policy.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await approvals?.close();
    await p.stop();
  });

  /** request + plan by the pipeline key, then bob (sre) and, unless `erinToo` is false, erin (security) through the approvals API. */
  async function approvedChange(changeId: string, plan: string, erinToo = true, planExtra: Record<string, unknown> = {}) {
    await emit(changeId, { type: 'change.requested', actor: { id: 'alice', type: 'user', roles: [], teams: ['payments'] }, reason: 'resize' }, { type: 'plan.created', plan: { digest: plan }, ...planExtra });
    await viewHas(changeId, 2);
    expect((await ap('POST', `/v1/changes/${changeId}/approvals`, bob, { decision: 'approve', planDigest: plan })).status).toBe(202);
    if (erinToo) expect((await ap('POST', `/v1/changes/${changeId}/approvals`, erin, { decision: 'approve', planDigest: plan })).status).toBe(202);
    await viewHas(changeId, erinToo ? 4 : 3);
  }

  it('does not count an approval.granted an emitter key asserts with teams ["security"]: the gate denies, the story says not counted, alerts fire', async () => {
    const change = 'CHG-forged';
    const plan = digest('forged-v1');
    await approvedChange(change, plan, false);
    // The attack: the pipeline's own API key claims a security approval for the plan.
    await emit(change, { type: 'approval.granted', actor: { id: 'mallory', type: 'user', roles: [], teams: ['security'] }, plan: { digest: plan }, reason: 'lgtm' });
    await viewHas(change, 4);

    const answer = await gate(change, plan);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ decision: 'deny', state: 'pending', approvals: [{ approver: 'bob', countedFor: 'sre' }], missing: [{ group: 'security', have: 0 }] });
    expect(answer.body.ignoredApprovals).toEqual([expect.objectContaining({ approver: 'mallory', untrusted: true, reason: expect.stringMatching(/not counted/) })]);

    await emit(change, { type: 'deployment.started', plan: { digest: plan }, artifact: { digest: digest('image-1'), kind: 'container-image' } });
    const story = await storyOf(change, 7);
    expect(story.verdicts.approvedForPlanThatRan).toMatchObject({ verdict: 'no' });
    expect(story.verdicts.approvals).toEqual([
      expect.objectContaining({ approver: 'bob', counted: true }),
      expect.objectContaining({ approver: 'mallory', counted: false, reason: expect.stringMatching(/^asserted by .*, not counted/) }),
    ]);
    await expectEventually(async () => expect(await alertsOf(change)).toEqual(['builtin.prod-without-approval', 'builtin.untrusted-approval']), { timeoutMs: 30_000 });
  });

  it('keeps "approved" for the plan that ran after a gate call about another plan was denied, and raises no alert', async () => {
    const change = 'CHG-two-gates';
    const [p1, p2] = [digest('tg-v1'), digest('tg-v2')];
    const image = digest('tg-image');
    await approvedChange(change, p1);
    expect((await gate(change, p1, image)).body).toMatchObject({ decision: 'allow', state: 'approved' });
    expect((await gate(change, p2, image)).body).toMatchObject({ decision: 'deny' });
    await emit(change, { type: 'deployment.started', plan: { digest: p1 }, artifact: { digest: image, kind: 'container-image' } }, { type: 'deployment.succeeded', outcome: 'succeeded', artifact: { digest: image, kind: 'container-image' } });

    const story = await storyOf(change, 10);
    expect(story.verdicts.approvedForPlanThatRan).toMatchObject({ verdict: 'yes', ranPlanDigest: p1 });
    expect(story.verdicts.artifactMatch).toMatchObject({ verdict: 'yes', approvedArtifactDigest: image });
    expect(story.verdicts.policy).toMatchObject({ policyId: `${tenant}/approval-policy`, version: '1', rule: 'prod-two-keys' });
    expect(await alertsOf(change)).toEqual([]);
  });

  it('denies a gate call without artifactDigest when the approved plan recorded an artifact', async () => {
    const change = 'CHG-no-artifact';
    const plan = digest('na-v1');
    await approvedChange(change, plan, true, { artifact: { digest: digest('na-image'), kind: 'container-image' } });
    const answer = await gate(change, plan);
    expect(answer.body).toMatchObject({ decision: 'deny', reasons: [expect.stringMatching(/names no artifact/), expect.any(String)] });
    expect((await gate(change, plan, digest('na-image'))).body).toMatchObject({ decision: 'allow' });
  });

  it('keeps a partial failure visible after a rollback succeeded, lists it under status=partially_failed, and raises no false alert', async () => {
    const change = 'CHG-rollback';
    const [plan, undo] = [digest('rb-v1'), digest('rb-undo')];
    const [image, previous] = [digest('rb-image'), digest('rb-previous')];
    await approvedChange(change, plan);
    expect((await gate(change, plan, image)).body).toMatchObject({ decision: 'allow' });
    await emit(
      change,
      { type: 'deployment.started', plan: { digest: plan }, artifact: { digest: image, kind: 'container-image' } },
      { type: 'deployment.partially_failed', outcome: 'partially_failed', artifact: { digest: image, kind: 'container-image' } },
      { type: 'plan.created', plan: { digest: undo }, details: { rollbackOf: plan } },
    );
    await viewHasPlan(change, undo);
    expect((await gate(change, undo, previous)).body).toMatchObject({ decision: 'allow', state: 'rollback' });
    await emit(
      change,
      { type: 'deployment.started', plan: { digest: undo }, artifact: { digest: previous, kind: 'container-image' } },
      { type: 'deployment.succeeded', outcome: 'succeeded', artifact: { digest: previous, kind: 'container-image' } },
    );

    const story = await storyOf(change, 13);
    expect(story.status).toBe('partially_failed');
    expect(story.verdicts.outcome).toMatchObject({ value: 'partially_failed', rolledBack: { planDigest: undo, outcome: 'succeeded' } });
    expect(story.verdicts.rollbacks).toEqual([expect.objectContaining({ rollbackOf: plan, approved: expect.objectContaining({ verdict: 'yes' }), artifact: expect.objectContaining({ verdict: 'yes' }) })]);
    const listed = await p.query.call('GET', '/v1/changes?status=partially_failed', analyst);
    expect(listed.body.changes.map((c: { changeId: string }) => c.changeId)).toContain(change);
    expect(await alertsOf(change)).toEqual([]);
  });
});
