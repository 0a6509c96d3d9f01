import { createLogger } from '@audit/observability';
import { aDigest, expectEventually } from '@audit/testing';
import { ChangeViewRepository } from '../src/ledger-view/change-view.repository';
import { rebuildView } from '../src/ledger-view/rebuild-view';
import { ApprovalHarness, E2E_POLICY, story } from './support/approval-harness';

describe('change view rebuild', () => {
  const h = new ApprovalHarness();
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it('replaying the committed log from scratch ends in the same state as live processing', async () => {
    const [admin, bob, erin] = await Promise.all([h.token({ sub: 'admin', roles: ['admin'] }), h.token({ sub: 'bob', groups: ['sre'] }), h.token({ sub: 'erin', groups: ['security'] })]);
    await h.inject('PUT', '/v1/policies', admin, E2E_POLICY);
    const sha = 'e'.repeat(40);
    let expected = 0;
    for (const n of [1, 2, 3]) {
      const change = `CHG-rebuild-${n}`;
      const s = story(change);
      const [v1, v2] = [aDigest(), aDigest()];
      await h.emit(s.request('alice', { commit: { repo: 'acme/infra', sha, author: 'dave' } }));
      await h.emit(s.plan(v1));
      await h.viewHas(change, 2);
      await h.inject('POST', `/v1/changes/${change}/approvals`, bob, { decision: 'approve', planDigest: v1 });
      await h.emit(s.plan(v2));
      await h.viewHas(change, 4);
      await h.inject('POST', `/v1/changes/${change}/approvals`, erin, { decision: n === 2 ? 'reject' : 'approve', planDigest: v2, comment: 'checked' });
      await h.emit(s.breakGlass('carol'));
      await h.emit({ ...s.request('x'), type: 'approval.revoked', actor: { id: 'bob', type: 'user', roles: [], teams: ['sre'] }, reason: 'second thoughts' });
      expected += 7;
    }
    // One GitHub review matched to all three changes through their shared commit.
    await h.emit({
      type: 'review.submitted',
      occurredAt: '2026-11-25T10:00:00.000Z',
      actor: { id: 'octocat', type: 'user', roles: [], teams: [] },
      resource: { kind: 'github.pull_request', id: 'acme/infra#9', environment: 'scm' },
      commit: { repo: 'acme/infra', sha },
      outcome: 'allowed',
    });
    expected += 3;
    const view = h.app.get(ChangeViewRepository);
    await expectEventually(async () => expect((await view.snapshot(h.tenant)).change_events).toHaveLength(expected));

    const live = await view.snapshot(h.tenant);
    expect(live.changes).toHaveLength(3);
    expect(live.approvals.length).toBeGreaterThan(0);
    expect(live.rejections).toHaveLength(1);
    expect(live.break_glass).toHaveLength(3);

    const result = await rebuildView({ kafka: h.kafka, pool: h.pool, view, logger: createLogger('rebuild-test', 'warn'), namespace: h.namespace, tenant: h.tenant });
    expect(result.applied).toBe(expected);
    expect(await view.snapshot(h.tenant)).toEqual(live);
  });
});
