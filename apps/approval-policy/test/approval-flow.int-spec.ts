import { aDigest, aTokenWithTimes, expectEventually } from '@audit/testing';
import { ApprovalHarness, E2E_POLICY, story } from './support/approval-harness';

/**
 * The end-to-end change against real Kafka, Postgres and the real ledger: every decision is asserted as
 * a COMMITTED ledger event (read back from audit.committed.v1).
 */
describe('approval-policy end to end', () => {
  const h = new ApprovalHarness();
  let admin: string, bob: string, carol: string, erin: string, pipeline: string;

  beforeAll(async () => {
    await h.start();
    [admin, bob, carol, erin, pipeline] = await Promise.all([
      h.token({ sub: 'root-admin', roles: ['admin'] }),
      h.token({ sub: 'bob', groups: ['sre'] }),
      h.token({ sub: 'carol', groups: ['sre'] }),
      h.token({ sub: 'erin', groups: ['security'] }),
      h.token({ sub: 'deploy-pipeline', groups: ['pipelines'] }),
    ]);
    const put = await h.inject('PUT', '/v1/policies', admin, E2E_POLICY);
    expect(put.statusCode).toBe(201);
  });
  afterAll(() => h.close());

  it('request → plan v1 → approval → plan v2 invalidates it → two approvals → gate allows v2 and denies v1', async () => {
    const change = 'CHG-e2e-1';
    const s = story(change);
    const [v1, v2] = [aDigest(), aDigest()];

    await h.emit(s.request('alice'));
    await h.emit(s.plan(v1));
    await h.viewHas(change, 2);

    const first = await h.inject('POST', `/v1/changes/${change}/approvals`, bob, { decision: 'approve', planDigest: v1, comment: 'reviewed v1' });
    expect(first.statusCode).toBe(202);
    await h.viewHas(change, 3);

    await h.emit(s.plan(v2, { destroys: 1 }));
    await h.viewHas(change, 4);
    const stale = await h.inject('POST', '/v1/gate', pipeline, { changeId: change, environment: 'prod', planDigest: v2 });
    expect(stale.json()).toMatchObject({ decision: 'deny', state: 'pending', approvals: [], missing: [{ group: 'sre', have: 0 }, { group: 'security', have: 0 }] });
    expect(stale.json().ignoredApprovals).toEqual([expect.objectContaining({ approver: 'bob', reason: expect.stringMatching(/superseded/) })]);

    // Approving the old plan is refused: approvals are bound to the current plan.
    expect((await h.inject('POST', `/v1/changes/${change}/approvals`, carol, { decision: 'approve', planDigest: v1 })).statusCode).toBe(409);

    expect((await h.inject('POST', `/v1/changes/${change}/approvals`, bob, { decision: 'approve', planDigest: v2 })).statusCode).toBe(202);
    expect((await h.inject('POST', `/v1/changes/${change}/approvals`, erin, { decision: 'approve', planDigest: v2 })).statusCode).toBe(202);
    // The view keeps our gate.decided records too (the change model binds artifacts and judges runs by them).
    await h.viewHas(change, 7);

    const allow = await h.inject('POST', '/v1/gate', pipeline, { changeId: change, environment: 'prod', planDigest: v2 });
    expect(allow.statusCode).toBe(200);
    expect(allow.json()).toMatchObject({
      decision: 'allow',
      state: 'approved',
      rule: 'prod-two-keys',
      policyVersion: 1,
      approvedPlanDigest: v2,
      missing: [],
      approvals: [
        { approver: 'bob', countedFor: 'sre', teams: ['sre'], planDigest: v2 },
        { approver: 'erin', countedFor: 'security', teams: ['security'], planDigest: v2 },
      ],
    });
    const deny = await h.inject('POST', '/v1/gate', pipeline, { changeId: change, environment: 'prod', planDigest: v1 });
    expect(deny.json()).toMatchObject({ decision: 'deny', reasons: [expect.stringMatching(new RegExp(`${v1} is not the approved plan ${v2}`)), expect.any(String)] });

    // Every decision is a committed ledger record, with a seq and hash chain position.
    const allowed = await h.committedEvent(allow.json().gateEventId);
    expect(allowed).toMatchObject({ seq: expect.any(Number), event: { type: 'gate.decided', outcome: 'allowed', changeId: change, plan: { digest: v2 }, actor: { id: 'deploy-pipeline', type: 'pipeline' } } });
    expect(allowed.event.details).toMatchObject({ rule: 'prod-two-keys', policyVersion: 1, approvals: [{ approver: 'bob' }, { approver: 'erin' }] });
    expect((await h.committedEvent(allow.json().evaluationEventId)).event).toMatchObject({ type: 'policy.evaluated', outcome: 'allowed' });
    expect((await h.committedEvent(deny.json().gateEventId)).event).toMatchObject({ type: 'gate.decided', outcome: 'denied', plan: { digest: v1 } });
    expect((await h.committedEvent(stale.json().gateEventId)).event).toMatchObject({ type: 'gate.decided', outcome: 'denied', plan: { digest: v2 } });
    const approvals = h.committedEvents('approval.granted', change);
    expect(approvals.map((e) => [e.actor.id, e.actor.teams, e.plan?.digest])).toEqual([
      ['bob', ['sre'], v1],
      ['bob', ['sre'], v2],
      ['erin', ['security'], v2],
    ]);
    expect(h.committedEvents('policy.published')).toEqual([expect.objectContaining({ actor: expect.objectContaining({ id: 'root-admin' }), details: expect.objectContaining({ policyVersion: 1 }) })]);
  });

  it('reads of a decision need analyst and a token that expires (issue 17)', async () => {
    const change = 'CHG-decision-read';
    const s = story(change);
    await h.emit(s.request('alice'));
    await h.viewHas(change, 1);
    const url = `/v1/changes/${change}/decision`;
    expect((await h.inject('GET', url, await h.token({ sub: 'v', roles: ['viewer'] }))).statusCode).toBe(403);
    expect((await h.inject('GET', url, await h.token({ sub: 'a', roles: ['analyst'] }))).statusCode).toBe(200);
    const now = Math.floor(Date.now() / 1000);
    const dev = { issuer: 'audit-ledger-dev', audience: 'audit-ledger', hmacSecret: 'local-development-secret-change-me-0123456789' };
    const ancient = await aTokenWithTimes({ sub: 'mallory', tenant: h.tenant, roles: ['admin'] }, { iat: now - 10 * 365 * 86_400 }, dev);
    for (const u of [url, '/v1/policies/current']) expect([u, (await h.inject('GET', u, ancient)).statusCode]).toEqual([u, 401]);
    // The answered reads are recorded (and committed by the ledger); the refused ones are not.
    expect((await h.inject('GET', '/v1/policies/current', await h.token({ sub: 'v', roles: ['viewer'] }))).statusCode).toBe(200);
    await expectEventually(() => {
      const reads = h.committedEvents('audit.read').map((e) => ({ actor: e.actor.id, details: e.details }));
      expect(reads).toEqual(
        expect.arrayContaining([
          { actor: 'a', details: { endpoint: '/v1/changes/{changeId}/decision', query: { changeId: change }, resultCount: 1 } },
          { actor: 'v', details: { endpoint: '/v1/policies/current', query: {}, resultCount: 1 } },
        ]),
      );
      expect(reads.filter((r) => r.actor === 'mallory')).toEqual([]);
    }, { timeoutMs: 20_000 });
  });

  it('separation of duties: the requester is refused with 403, and the attempt is a committed denial', async () => {
    const change = 'CHG-sod';
    const s = story(change);
    const plan = aDigest();
    await h.emit(s.request('bob', { commit: { repo: 'acme/infra', sha: 'c'.repeat(40), author: 'erin' } }));
    await h.emit(s.plan(plan));
    await h.viewHas(change, 2);

    const own = await h.inject('POST', `/v1/changes/${change}/approvals`, bob, { decision: 'approve', planDigest: plan });
    expect(own.statusCode).toBe(403);
    expect(own.json()).toMatchObject({ detail: expect.stringMatching(/requester cannot approve/), eventId: expect.any(String) });
    const author = await h.inject('POST', `/v1/changes/${change}/approvals`, erin, { decision: 'approve', planDigest: plan });
    expect(author.statusCode).toBe(403);
    expect(author.json().detail).toMatch(/author of the commit/);

    expect((await h.committedEvent(own.json().eventId)).event).toMatchObject({ type: 'policy.evaluated', outcome: 'denied', actor: { id: 'bob', teams: ['sre'] }, details: { check: 'separation-of-duties' } });
    expect(h.committedEvents('approval.granted', change)).toEqual([]);
  });

  it('expiry: approvals older than validFor stop counting', async () => {
    const change = 'CHG-expiry';
    const s = story(change);
    const plan = aDigest();
    await h.emit(s.request('alice'));
    await h.emit(s.plan(plan));
    await h.viewHas(change, 2);
    await h.inject('POST', `/v1/changes/${change}/approvals`, carol, { decision: 'approve', planDigest: plan });
    await h.inject('POST', `/v1/changes/${change}/approvals`, erin, { decision: 'approve', planDigest: plan });
    await h.viewHas(change, 4);
    expect((await h.inject('POST', '/v1/gate', pipeline, { changeId: change, environment: 'prod', planDigest: plan })).json().decision).toBe('allow');

    h.advance(4 * 3_600_000);
    const expired = await h.inject('POST', '/v1/gate', pipeline, { changeId: change, environment: 'prod', planDigest: plan });
    expect(expired.json()).toMatchObject({ decision: 'deny', state: 'pending' });
    expect(expired.json().ignoredApprovals.map((i: { reason: string }) => i.reason)).toEqual([expect.stringMatching(/^expired at/), expect.stringMatching(/^expired at/)]);
    h.advance(-4 * 3_600_000);
  });

  it('rejection blocks until a new plan', async () => {
    const change = 'CHG-reject';
    const s = story(change);
    const plan = aDigest();
    await h.emit(s.request('alice'));
    await h.emit(s.plan(plan));
    await h.viewHas(change, 2);
    expect((await h.inject('POST', `/v1/changes/${change}/approvals`, carol, { decision: 'reject', planDigest: plan })).statusCode).toBe(422);
    await h.inject('POST', `/v1/changes/${change}/approvals`, carol, { decision: 'reject', planDigest: plan, comment: 'drops the replica' });
    await h.inject('POST', `/v1/changes/${change}/approvals`, bob, { decision: 'approve', planDigest: plan });
    await h.inject('POST', `/v1/changes/${change}/approvals`, erin, { decision: 'approve', planDigest: plan });
    await h.viewHas(change, 5);
    expect((await h.inject('POST', '/v1/gate', pipeline, { changeId: change, environment: 'prod', planDigest: plan })).json()).toMatchObject({ decision: 'deny', state: 'rejected' });
  });

  it('freeze window denies an approved change; break-glass allows it and an overdue review is announced as an event', async () => {
    const change = 'CHG-freeze';
    const s = story(change);
    const plan = aDigest();
    await h.emit(s.request('alice'));
    await h.emit(s.plan(plan));
    await h.viewHas(change, 2);
    await h.inject('POST', `/v1/changes/${change}/approvals`, bob, { decision: 'approve', planDigest: plan });
    await h.inject('POST', `/v1/changes/${change}/approvals`, erin, { decision: 'approve', planDigest: plan });
    await h.viewHas(change, 4);

    const saved = h.now;
    h.now = new Date('2026-12-24T10:00:00Z');
    try {
      // Approvals were given a month earlier: in the freeze the point is the window, not expiry.
      const frozen = await h.inject('POST', '/v1/gate', pipeline, { changeId: change, environment: 'prod', planDigest: plan });
      expect(frozen.json()).toMatchObject({ decision: 'deny', reasons: [expect.stringMatching(/freeze window in force: holiday-freeze/)] });

      await h.emit(s.breakGlass('carol'));
      // 4 events + the frozen gate.decided + the break-glass.
      await h.viewHas(change, 6);
      const glass = await h.inject('POST', '/v1/gate', pipeline, { changeId: change, environment: 'prod', planDigest: plan });
      expect(glass.json()).toMatchObject({ decision: 'allow', state: 'breakglass', breakGlass: { invokedBy: 'carol', reviewDueAt: '2026-12-24T12:00:00.000Z', overdue: false } });
      expect((await h.committedEvent(glass.json().gateEventId)).event).toMatchObject({ outcome: 'allowed', details: { state: 'breakglass' } });

      expect(await h.sweeper().sweep(h.tenant)).toEqual([]);
      h.advance(2 * 3_600_000 + 1000);
      const announced = await h.sweeper().sweep(h.tenant);
      expect(announced).toEqual([{ tenant: h.tenant, changeId: change, eventId: expect.any(String) }]);
      expect((await h.committedEvent(announced[0]!.eventId)).event).toMatchObject({
        type: 'policy.evaluated',
        outcome: 'denied',
        changeId: change,
        reason: expect.stringMatching(/review overdue since 2026-12-24T12:00:00.000Z/),
        details: { overdueReview: true, missing: 'breakglass.reviewed' },
      });
      expect(await h.sweeper().sweep(h.tenant)).toEqual([]);

      await h.emit(s.breakGlassReview('erin'));
      // The view keeps our gate.decided records too (the change model binds artifacts and judges runs by them).
      await h.viewHas(change, 8);
      const reviewed = await h.inject('POST', '/v1/gate', pipeline, { changeId: change, environment: 'prod', planDigest: plan });
      expect(reviewed.json()).toMatchObject({ decision: 'allow', breakGlass: { reviewedBy: 'erin', overdue: false }, missing: [] });
    } finally {
      h.now = saved;
    }
  });

  it('GitHub reviews count where the policy says so, matched to the change by commit', async () => {
    const admin2 = await h.token({ sub: 'root-admin', roles: ['admin'] });
    const put = await h.inject('PUT', '/v1/policies', admin2, {
      ...E2E_POLICY,
      rules: [{ name: 'gh', when: 'change.environment == "staging"', require: { approvals: [{ group: 'github-reviewer', count: 1 }, { group: 'sre', count: 1 }], acceptGithubReviews: true } }, ...E2E_POLICY.rules],
    });
    expect(put.json()).toMatchObject({ version: 2 });
    const change = 'CHG-gh';
    const s = story(change, 'staging');
    const plan = aDigest();
    const sha = 'd'.repeat(40);
    await h.emit(s.request('alice', { commit: { repo: 'acme/infra', sha } }));
    await h.emit(s.plan(plan));
    await h.viewHas(change, 2);
    await h.emit({
      type: 'review.submitted',
      occurredAt: '2026-11-25T10:00:00.000Z',
      actor: { id: 'octocat', type: 'user', roles: [], teams: [] },
      resource: { kind: 'github.pull_request', id: 'acme/infra#7', environment: 'scm' },
      commit: { repo: 'acme/infra', sha },
      outcome: 'allowed',
      details: { githubEvent: 'pull_request_review', state: 'approved' },
      // Issue 15: a review counts only as a verified GitHub review, i.e. with the signed webhook's provenance.
    }, { kind: 'webhook', id: 'github:delivery-7', auth: 'hmac-sha256', scopes: [], via: 'github', delivery: 'delivery-7' });
    await h.viewHas(change, 3);
    await h.inject('POST', `/v1/changes/${change}/approvals`, bob, { decision: 'approve', planDigest: plan });
    await h.viewHas(change, 4);
    const gate = await h.inject('POST', '/v1/gate', pipeline, { changeId: change, environment: 'staging', planDigest: plan });
    expect(gate.json()).toMatchObject({ decision: 'allow', policyVersion: 2, rule: 'gh', approvals: expect.arrayContaining([expect.objectContaining({ approver: 'octocat', countedFor: 'github-reviewer', via: 'github' })]) });
  });

  it('refuses bad policies with the rule and the CEL position, and non-admins', async () => {
    const bad = await h.inject('PUT', '/v1/policies', admin, {
      groups: [{ name: 'sre', members: ['bob'] }],
      rules: [
        { name: 'syntax', when: 'change.environment == ', require: { allow: true } },
        { name: 'types', when: 'plan.destroys > "many"', require: { allow: true } },
        { name: 'quorum', when: 'true', require: { approvals: [{ group: 'sre', count: 2 }, { group: 'dba', count: 1 }] } },
      ],
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(bad.json().errors).toEqual([
      { path: 'rules[0].when', message: expect.stringMatching(/CEL error at line 1, column 23/), position: expect.objectContaining({ offset: 22, line: 1, column: 23 }) },
      { path: 'rules[1].when', message: expect.stringMatching(/no such overload/), position: expect.objectContaining({ line: 1 }) },
      { path: 'rules[2].require.approvals[0].count', message: 'impossible quorum: 2 approvals from "sre", which has 1 member(s)' },
      { path: 'rules[2].require.approvals[1].group', message: 'unknown group "dba": declare it under groups' },
    ]);
    expect((await h.inject('PUT', '/v1/policies', bob, E2E_POLICY)).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'POST', url: '/v1/gate', payload: {} })).statusCode).toBe(401);
    const current = await h.inject('GET', '/v1/policies/current', admin);
    expect(current.json()).toMatchObject({ version: 2 });
    expect((await h.inject('GET', '/v1/policies/1', admin)).json()).toMatchObject({ version: 1, published_by: 'root-admin' });
  });
});
