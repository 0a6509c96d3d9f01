import { ChangeStory, digestOf, inForce, people, STANDARD_POLICY } from '../../test/support/change-events';
import type { ChangeEvent } from '@audit/change-lifecycle';
import { decideChange, type GateAsk, type PolicyInForce } from './decide-change';

/** The decision alone (the adapter also returns the resolved rule it recorded). */
const decide = (events: readonly ChangeEvent[], inForce: PolicyInForce | undefined, now: Date, ask?: GateAsk) => decideChange(events, inForce, now, ask).decision;

const { alice, bob, carol, dan, erin } = people;
const policy = inForce(STANDARD_POLICY, 3);
const at = (iso: string) => new Date(iso);
const NOW = at('2026-11-25T11:00:00.000Z'); // a Wednesday

describe('decide', () => {
  it('waits for a request, then for a plan', () => {
    expect(decide([], policy, NOW)).toMatchObject({ state: 'pending', missing: [{ kind: 'change.requested' }] });
    const c = new ChangeStory().request(alice);
    expect(decide(c.events, policy, NOW)).toMatchObject({ state: 'pending', rule: 'prod-needs-two', missing: [{ kind: 'plan.created' }, { group: 'sre' }, { group: 'security' }] });
  });

  it('approves when the quorum of distinct people from the right groups approved the current plan', () => {
    const c = new ChangeStory().request(alice).plan('v1').approve(bob, 'v1');
    expect(decide(c.events, policy, NOW)).toMatchObject({ state: 'pending', missing: [{ kind: 'approvals', group: 'security', needed: 1, have: 0 }] });
    c.approve(erin, 'v1');
    const d = decide(c.events, policy, NOW);
    expect(d).toMatchObject({ state: 'approved', rule: 'prod-needs-two', policyVersion: 3, missing: [] });
    expect(d.approvals.map((a) => [a.approver, a.countedFor, a.planDigest])).toEqual([
      ['bob', 'sre', digestOf('v1')],
      ['erin', 'security', digestOf('v1')],
    ]);
  });

  it('does not let one person in two groups fill both seats', () => {
    const c = new ChangeStory().request(alice).plan('v1').approve(dan, 'v1');
    expect(decide(c.events, policy, NOW).state).toBe('pending');
    c.approve(bob, 'v1');
    expect(decide(c.events, policy, NOW).approvals.map((a) => `${a.approver}:${a.countedFor}`).sort()).toEqual(['bob:sre', 'dan:security']);
  });

  describe('separation of duties', () => {
    it('ignores an approval by the requester', () => {
      const c = new ChangeStory().request({ id: 'dan', teams: ['sre', 'security'] }).plan('v1').approve(dan, 'v1').approve(erin, 'v1');
      const d = decide(c.events, policy, NOW);
      expect(d.state).toBe('pending');
      expect(d.ignoredApprovals).toContainEqual(expect.objectContaining({ approver: 'dan', reason: expect.stringMatching(/requester/) }));
    });
    it('ignores an approval by the author of the commit being deployed', () => {
      const c = new ChangeStory()
        .request(alice, { commit: { repo: 'acme/infra', sha: 'a'.repeat(40), author: 'bob' } })
        .plan('v1')
        .approve(bob, 'v1')
        .approve(erin, 'v1');
      const d = decide(c.events, policy, NOW);
      expect(d.state).toBe('pending');
      expect(d.ignoredApprovals).toContainEqual(expect.objectContaining({ approver: 'bob', reason: expect.stringMatching(/author of the commit/) }));
    });
  });

  it('binds approvals to the plan digest: a new plan invalidates earlier approvals', () => {
    const c = new ChangeStory().request(alice).plan('v1').approve(bob, 'v1').approve(erin, 'v1').plan('v2');
    const d = decide(c.events, policy, NOW);
    expect(d).toMatchObject({ state: 'pending', planDigest: digestOf('v2'), approvals: [] });
    expect(d.ignoredApprovals.map((i) => i.reason)).toEqual([expect.stringMatching(/superseded by/), expect.stringMatching(/superseded by/)]);
  });

  it('takes the approver groups recorded on the approval event, not what they are now', () => {
    // Bob approved while in security (recorded); that later he moved teams is not the decider's concern.
    const c = new ChangeStory().request(alice).plan('v1').approve({ id: 'bob', teams: ['security'] }, 'v1').approve(carol, 'v1');
    const d = decide(c.events, policy, NOW);
    expect(d.state).toBe('approved');
    expect(d.approvals.find((a) => a.approver === 'bob')).toMatchObject({ countedFor: 'security', teams: ['security'] });
  });

  it('one rejection blocks until a new plan', () => {
    const c = new ChangeStory().request(alice).plan('v1').approve(bob, 'v1').reject(carol, 'v1', 'drops the replica').approve(erin, 'v1');
    expect(decide(c.events, policy, NOW)).toMatchObject({ state: 'rejected', reasons: [expect.stringMatching(/rejected by carol.*drops the replica/)] });
    c.plan('v2').approve(bob, 'v2').approve(erin, 'v2');
    expect(decide(c.events, policy, NOW).state).toBe('approved');
  });

  it('counts approvals of the same person once', () => {
    const c = new ChangeStory().request(alice).plan('v1').approve(bob, 'v1').approve(bob, 'v1');
    const d = decide(c.events, policy, NOW);
    expect(d.approvals).toHaveLength(1);
    expect(d.ignoredApprovals).toContainEqual(expect.objectContaining({ approver: 'bob', reason: expect.stringMatching(/same person/) }));
  });

  it('lets approvals expire after validFor, measured from their receipt time', () => {
    const c = new ChangeStory().at('2026-11-25T08:00:00Z').request(alice).plan('v1').approve(bob, 'v1').at('2026-11-25T11:30:00Z').approve(erin, 'v1');
    expect(decide(c.events, policy, at('2026-11-25T11:59:59Z')).state).toBe('approved');
    const later = decide(c.events, policy, at('2026-11-25T12:00:00Z'));
    expect(later.state).toBe('pending');
    expect(later.ignoredApprovals).toContainEqual(expect.objectContaining({ approver: 'bob', reason: 'expired at 2026-11-25T12:00:00.000Z (valid for PT4H)' }));
  });

  it('honours revocation by the approver', () => {
    const c = new ChangeStory().request(alice).plan('v1').approve(bob, 'v1').approve(erin, 'v1').add({ type: 'approval.revoked', reason: 'found a bug' }, bob);
    expect(decide(c.events, policy, NOW).state).toBe('pending');
  });

  it('applies the first matching rule: deny, allow, and the fail-closed default', () => {
    const friday = at('2026-11-27T11:00:00Z');
    const iam = new ChangeStory().request(alice).plan('v1', { iamChanges: 2 });
    expect(decide(iam.events, policy, friday)).toMatchObject({ state: 'denied', rule: 'no-friday-iam', reasons: ['no IAM changes on Fridays'] });
    expect(decide(new ChangeStory('C2', 'acme', 'staging').request(alice).events, policy, NOW)).toMatchObject({ state: 'allowed', rule: 'staging-free' });
    expect(decide(new ChangeStory('C3', 'acme', 'dev').request(alice).events, policy, NOW)).toMatchObject({ state: 'denied', rule: 'default', reasons: ['no policy rule matched this change'] });
  });

  it('denies when no policy is published, and reports cancellation', () => {
    expect(decide(new ChangeStory().request(alice).events, undefined, NOW)).toMatchObject({ state: 'denied', policyVersion: null });
    expect(decide(new ChangeStory().request(alice).cancel(alice).events, policy, NOW).state).toBe('cancelled');
  });

  describe('freeze windows', () => {
    const frozen = inForce({
      ...STANDARD_POLICY,
      freezeWindows: [
        { name: 'year-end', timeZone: 'Europe/Paris', environments: ['prod'], ranges: [{ start: '2026-12-17T00:00', end: '2027-01-04T00:00' }] },
        { name: 'weekend', weekly: [{ days: ['sat', 'sun'], from: '00:00', to: '24:00' }] },
      ],
    });
    const approved = () => new ChangeStory().request(alice).plan('v1').approve(bob, 'v1').approve(erin, 'v1');

    it('deny even an approved change inside the window, in the window time zone', () => {
      // 2026-12-16T23:30Z is already 00:30 on the 17th in Paris.
      const c = approved().at('2026-12-16T20:00:00Z').approve(bob, 'v1').approve(erin, 'v1');
      expect(decide(c.events, frozen, at('2026-12-16T22:30:00Z')).state).toBe('approved');
      expect(decide(c.events, frozen, at('2026-12-16T23:30:00Z'))).toMatchObject({ state: 'denied', reasons: [expect.stringMatching(/year-end.*break-glass is permitted/)] });
      expect(decide(approved().events, frozen, at('2026-11-28T10:00:00Z'))).toMatchObject({ state: 'denied', reasons: [expect.stringMatching(/weekend/)] });
    });
    it('do not apply to other environments', () => {
      const staging = new ChangeStory('C9', 'acme', 'staging').request(alice);
      expect(decide(staging.events, frozen, at('2026-12-24T10:00:00Z')).state).toBe('allowed');
    });
    it('yield to break-glass when the rule permits it', () => {
      const c = approved().at('2026-12-24T09:00:00Z').breakGlass(bob);
      expect(decide(c.events, frozen, at('2026-12-24T10:00:00Z'))).toMatchObject({ state: 'breakglass', breakGlass: { invokedBy: 'bob', overdue: false } });
    });
  });

  describe('break-glass', () => {
    const strict = inForce({
      groups: [{ name: 'sre', members: ['bob', 'carol'] }],
      rules: [
        { name: 'no-bg', when: 'change.environment == "pci"', require: { approvals: [{ group: 'sre', count: 1 }] } },
        { name: 'bg', when: 'true', require: { approvals: [{ group: 'sre', count: 2 }], breakGlass: true } },
      ],
      breakGlass: { reviewWithin: 'PT2H' },
    });

    it('allows without approvals and asks for a review by a deadline', () => {
      const c = new ChangeStory().at('2026-11-25T10:00:00Z').request(alice).plan('v1').breakGlass(bob);
      expect(decide(c.events, strict, at('2026-11-25T11:00:00Z'))).toMatchObject({
        state: 'breakglass',
        breakGlass: { invokedBy: 'bob', reviewDueAt: '2026-11-25T12:00:00.000Z', overdue: false },
        missing: [{ kind: 'breakglass.reviewed', dueAt: '2026-11-25T12:00:00.000Z', overdue: false }],
      });
    });
    it('signals an overdue review', () => {
      const c = new ChangeStory().at('2026-11-25T10:00:00Z').request(alice).plan('v1').breakGlass(bob);
      expect(decide(c.events, strict, at('2026-11-25T12:00:01Z'))).toMatchObject({ state: 'breakglass', breakGlass: { overdue: true }, missing: [{ overdue: true }] });
    });
    it('accepts a review only from someone other than the invoker and the requester', () => {
      const c = new ChangeStory().at('2026-11-25T10:00:00Z').request(alice).plan('v1').breakGlass(bob).reviewBreakGlass(bob).reviewBreakGlass(alice);
      expect(decide(c.events, strict, at('2026-11-25T13:00:00Z')).breakGlass).toMatchObject({ overdue: true });
      c.reviewBreakGlass(carol);
      expect(decide(c.events, strict, at('2026-11-25T13:00:00Z'))).toMatchObject({ breakGlass: { reviewedBy: 'carol', overdue: false }, missing: [] });
    });
    it('is ignored where the rule does not permit it', () => {
      const c = new ChangeStory('C1', 'acme', 'pci').request(alice).plan('v1').breakGlass(bob);
      expect(decide(c.events, strict, NOW)).toMatchObject({ state: 'pending', reasons: [expect.stringMatching(/does not permit break-glass/), expect.any(String)] });
    });
  });

  describe('GitHub reviews', () => {
    const gh = inForce({
      groups: [{ name: 'sre', members: ['bob', 'carol'] }],
      rules: [{ name: 'gh', when: 'true', require: { approvals: [{ group: 'github-reviewer', count: 1 }, { group: 'sre', count: 1 }], acceptGithubReviews: true } }],
    });
    it('count when the rule accepts them, bound to the plan current when recorded', () => {
      const c = new ChangeStory().request(alice).plan('v1').githubReview({ id: 'octocat' }, 'allowed').approve(bob, 'v1');
      expect(decide(c.events, gh, NOW)).toMatchObject({ state: 'approved' });
      c.plan('v2');
      expect(decide(c.events, gh, NOW).state).toBe('pending');
    });
    it('do not count under a rule that does not accept them', () => {
      const c = new ChangeStory().request(alice).plan('v1').githubReview(bob, 'allowed').approve(erin, 'v1');
      expect(decide(c.events, policy, NOW).ignoredApprovals).toContainEqual(expect.objectContaining({ approver: 'bob', reason: expect.stringMatching(/GitHub/) }));
    });
    it('"changes requested" is a rejection where reviews count', () => {
      const c = new ChangeStory().request(alice).plan('v1').githubReview({ id: 'octocat' }, 'rejected');
      expect(decide(c.events, gh, NOW).state).toBe('rejected');
    });
  });

  describe('the gate question', () => {
    const approved = () => new ChangeStory().request(alice).plan('v1').approve(bob, 'v1').approve(erin, 'v1');
    it('passes the approved plan digest and denies any other', () => {
      expect(decide(approved().events, policy, NOW, { planDigest: digestOf('v1'), environment: 'prod' }).state).toBe('approved');
      expect(decide(approved().events, policy, NOW, { planDigest: digestOf('v0') })).toMatchObject({ state: 'denied', reasons: [expect.stringMatching(/is not the approved plan/), expect.any(String)] });
    });
    it('denies another environment and an artifact other than the plan recorded', () => {
      expect(decide(approved().events, policy, NOW, { planDigest: digestOf('v1'), environment: 'staging' }).state).toBe('denied');
      const c = new ChangeStory().request(alice).plan('v1', {}, { artifact: { digest: digestOf('img-1'), kind: 'container-image' } }).approve(bob, 'v1').approve(erin, 'v1');
      expect(decide(c.events, policy, NOW, { planDigest: digestOf('v1'), artifactDigest: digestOf('img-1') }).state).toBe('approved');
      expect(decide(c.events, policy, NOW, { planDigest: digestOf('v1'), artifactDigest: digestOf('img-2') }).state).toBe('denied');
    });
  });
});

describe('decideChange: what the gate records and counts (issue 15)', () => {
  const { alice, bob, mallory } = people;
  it('resolves the rule with the policy id, version and digest the story reads back', () => {
    const c = new ChangeStory().request(alice).plan('v1');
    const { rule } = decideChange(c.events, policy, NOW, { planDigest: digestOf('v1') });
    expect(rule).toMatchObject({ policyId: 'acme/approval-policy', policyVersion: 3, policyDigest: policy.policy.digest, rule: 'prod-needs-two', frozen: [] });
  });
  it('does not count an approval an emitter key asserts, whatever teams it claims', () => {
    const c = new ChangeStory().request(alice).plan('v1').approve(bob, 'v1').approve(mallory, 'v1', 'emitter-key');
    const d = decide(c.events, policy, NOW, { planDigest: digestOf('v1') });
    expect(d).toMatchObject({ state: 'pending', allow: false, approvals: [{ approver: 'bob' }] });
    expect(d.ignoredApprovals).toEqual([expect.objectContaining({ approver: 'mallory', untrusted: true, reason: expect.stringMatching(/not counted: the key has no "approvals" scope/) })]);
  });
});
