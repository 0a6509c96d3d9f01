import { decide } from './decide';
import { foldChange } from './evolve';
import type { GateQuestion } from './gate';
import { readResolvedRule, recordedRule } from './resolved-rule';
import { ChangeStory, digestOf, people, RULE } from './spec-support';
import { runAt, judgeRun, statusOf } from './verdicts';

const { alice, bob, carol, dan, erin, mallory } = people;

/** emmett-style specification: given the events of a change, when a question is asked, then the answer. */
const given = (c: ChangeStory) => ({
  when: (question: GateQuestion | { kind: 'story' }) => ({
    then: (expected: Record<string, unknown>) => {
      const state = foldChange(c.events);
      const answer = question.kind === 'story' ? decide(state, question) : decide(state, question);
      expect(answer).toMatchObject(expected);
      return answer;
    },
  }),
});

const gateAsk = (c: ChangeStory, plan: string, artifact?: string): GateQuestion => ({
  kind: 'gate',
  at: c.clock,
  policy: RULE,
  planDigest: digestOf(plan),
  environment: 'prod',
  ...(artifact ? { artifactDigest: digestOf(artifact) } : {}),
});
const STORY = { kind: 'story' } as const;

const approvedChange = () => new ChangeStory().request(alice).plan('v1').approve(bob, 'v1').approve(erin, 'v1');

describe('change lifecycle: the gate', () => {
  it('allows the plan a quorum of distinct, trusted approvers approved', () => {
    given(approvedChange())
      .when(gateAsk(approvedChange(), 'v1'))
      .then({ state: 'approved', allow: true, approvals: [{ approver: 'bob', countedFor: 'sre' }, { approver: 'erin', countedFor: 'security' }] });
  });

  it('does not count an approval.granted an emitter key asserts, whatever teams its body claims, and says so', () => {
    const c = new ChangeStory().request(alice).plan('v1').approve(bob, 'v1').approve(mallory, 'v1', 'emitter-key');
    const d = given(c).when(gateAsk(c, 'v1')).then({ state: 'pending', allow: false, approvals: [{ approver: 'bob' }] });
    expect(d).toMatchObject({ ignoredApprovals: [{ approver: 'mallory', untrusted: true, assertedBy: 'key k_pipeline via http', reason: expect.stringMatching(/^asserted by key k_pipeline via http, not counted: the key has no "approvals" scope/) }] });
  });

  it('does not count a claim without provenance (recorded before provenance existed)', () => {
    const c = new ChangeStory().request(alice).plan('v1').approve(bob, 'v1').approve(erin, 'v1', 'none');
    given(c).when(gateAsk(c, 'v1')).then({ allow: false, ignoredApprovals: [{ approver: 'erin', untrusted: true, reason: expect.stringMatching(/no provenance/) }] });
  });

  it('counts an approval system key with the approvals scope, and groups from the verified token, not the body', () => {
    const viaKey = new ChangeStory().request(alice).plan('v1').approve(bob, 'v1').approve(erin, 'v1', 'approvals-key');
    given(viaKey).when(gateAsk(viaKey, 'v1')).then({ allow: true });
    // The body claims security, the token says sre only: erin cannot fill the security seat.
    const c = new ChangeStory().request(alice).plan('v1').approve(bob, 'v1');
    c.add({ type: 'approval.granted', plan: { digest: digestOf('v1') } }, { id: 'carol', teams: ['security'] }, { kind: 'user_token', id: 'idp|carol', auth: 'jwt-hs256', scopes: [], subject: 'carol', roles: [], groups: ['sre'], via: 'approvals-api' });
    given(c).when(gateAsk(c, 'v1')).then({ allow: false, missing: [{ kind: 'approvals', group: 'security', needed: 1, have: 0 }] });
  });

  it('counts a verified GitHub review only where the rule accepts GitHub reviews, and never a review from a key', () => {
    const c = new ChangeStory().request(alice).plan('v1').approve(bob, 'v1').githubReview(erin, 'allowed');
    given(c).when(gateAsk(c, 'v1')).then({ allow: false, ignoredApprovals: [{ approver: 'erin', reason: expect.stringMatching(/GitHub reviews do not count/) }] });
    const accepting = { ...RULE, require: { ...RULE.require, acceptGithubReviews: true } } as typeof RULE;
    given(c).when({ ...gateAsk(c, 'v1'), policy: accepting }).then({ allow: true });
    const forged = new ChangeStory().request(alice).plan('v1').approve(bob, 'v1').githubReview(erin, 'allowed', 'emitter-key');
    given(forged).when({ ...gateAsk(forged, 'v1'), policy: accepting }).then({ allow: false, ignoredApprovals: [{ approver: 'erin', untrusted: true }] });
  });

  it('holds separation of duties: neither the requester nor a commit author can approve', () => {
    const c = new ChangeStory()
      .request({ id: 'dan', teams: ['sre', 'security'] }, { commit: { repo: 'acme/infra', sha: 'a'.repeat(40), author: 'bob' } })
      .plan('v1')
      .approve(dan, 'v1')
      .approve(bob, 'v1')
      .approve(erin, 'v1');
    given(c)
      .when(gateAsk(c, 'v1'))
      .then({
        allow: false,
        ignoredApprovals: [
          { approver: 'dan', reason: expect.stringMatching(/requester/) },
          { approver: 'bob', reason: expect.stringMatching(/author of the commit/) },
        ],
      });
  });

  it('binds approvals to the plan digest: a new plan invalidates them', () => {
    const c = approvedChange().plan('v2');
    given(c).when(gateAsk(c, 'v2')).then({ state: 'pending', allow: false, approvals: [] });
    given(c).when(gateAsk(c, 'v1')).then({ allow: false });
  });

  it('expires approvals after validFor, measured from receipt', () => {
    const c = approvedChange().later(5 * 60);
    given(c).when(gateAsk(c, 'v1')).then({ allow: false, ignoredApprovals: [{ reason: expect.stringMatching(/expired/) }, { reason: expect.stringMatching(/expired/) }] });
  });

  it('lets break-glass through where the rule permits it, with a follow-up review due', () => {
    const c = new ChangeStory().request(alice).plan('v1').breakGlass(bob);
    given(c).when(gateAsk(c, 'v1')).then({ state: 'breakglass', allow: true, missing: [{ kind: 'breakglass.reviewed', overdue: false }] });
    c.later(25 * 60);
    given(c).when(gateAsk(c, 'v1')).then({ state: 'breakglass', breakGlass: { overdue: true } });
    c.reviewBreakGlass(erin);
    given(c).when(gateAsk(c, 'v1')).then({ breakGlass: { reviewedBy: 'erin' }, missing: [] });
  });

  it('denies a call without artifactDigest when the approved plan recorded an artifact', () => {
    const c = new ChangeStory().request(alice).plan('v1', {}, { artifact: { digest: digestOf('image-1'), kind: 'container-image' } }).approve(bob, 'v1').approve(erin, 'v1');
    given(c).when(gateAsk(c, 'v1')).then({ state: 'denied', allow: false, problems: [{ kind: 'artifact', message: expect.stringMatching(/names no artifact/) }] });
    given(c).when(gateAsk(c, 'v1', 'image-2')).then({ allow: false, problems: [{ kind: 'artifact' }] });
    given(c).when(gateAsk(c, 'v1', 'image-1')).then({ allow: true });
  });

  it('binds the artifact the gate first let through when the plan recorded none', () => {
    const c = approvedChange().gate('v1', { artifact: 'image-1' });
    expect(c.answers[0]).toMatchObject({ allow: true });
    given(c).when(gateAsk(c, 'v1', 'image-2')).then({ allow: false, problems: [{ kind: 'artifact' }] });
  });
});

describe('change lifecycle: the story', () => {
  it('keeps the verdict of the plan that ran when a later gate call for another plan was denied', () => {
    const c = approvedChange().gate('v1', { artifact: 'image-1' }).gate('v2', { artifact: 'image-1' }).deploy('v1', 'image-1').finish('succeeded');
    expect(c.answers.map((a) => a.allow)).toEqual([true, false]);
    given(c)
      .when(STORY)
      .then({
        approvedForPlanThatRan: { verdict: 'yes', ranPlanDigest: digestOf('v1'), validApprovalSeqs: [3, 4], gateSeq: 5 },
        artifactMatch: { verdict: 'yes' },
        outcome: { value: 'succeeded', rolledBack: null },
      });
  });

  it('keeps a partial failure visible when a rollback plan then succeeds, and judges the rollback as one', () => {
    const c = approvedChange()
      .gate('v1', { artifact: 'image-1' })
      .deploy('v1', 'image-1')
      .finish('partially_failed', 'image-1')
      .rollbackPlan('undo-v1', 'v1')
      .gate('undo-v1', { artifact: 'image-0' })
      .deploy('undo-v1', 'image-0')
      .finish('succeeded', 'image-0');
    expect(c.answers.map((a) => [a.state, a.allow])).toEqual([
      ['approved', true],
      ['rollback', true],
    ]);
    const state = foldChange(c.events);
    expect(statusOf(state)).toBe('partially_failed');
    given(c)
      .when(STORY)
      .then({
        approvedForPlanThatRan: { verdict: 'yes', ranPlanDigest: digestOf('v1') },
        artifactMatch: { verdict: 'yes', deployedArtifactDigest: digestOf('image-1') },
        outcome: { value: 'partially_failed', rolledBack: { planDigest: digestOf('undo-v1'), outcome: 'succeeded' } },
        rollbacks: [{ rollbackOf: digestOf('v1'), approved: { verdict: 'yes' }, artifact: { verdict: 'yes' }, outcome: { value: 'succeeded' } }],
      });
    const rollbackRun = runAt(state, 10);
    expect(rollbackRun && judgeRun(rollbackRun)).toMatchObject({ approved: { verdict: 'yes' }, artifact: { verdict: 'yes' } });
  });

  it('does not honour a "rollback" of a plan that never ran: it is the change\'s own, unapproved run', () => {
    const c = approvedChange().rollbackPlan('sneaky', 'never-ran').gate('sneaky').deploy('sneaky');
    expect(c.answers[0]).toMatchObject({ allow: false, state: 'pending', reasons: expect.arrayContaining([expect.stringMatching(/never ran/)]) });
    given(c).when(STORY).then({ approvedForPlanThatRan: { verdict: 'no', ranPlanDigest: digestOf('sneaky') }, rollbacks: [] });
  });

  it('names the policy id and version that judged the plan that ran', () => {
    const c = approvedChange().gate('v1').deploy('v1');
    given(c).when(STORY).then({ policy: { policyId: 'acme/approval-policy', version: '3', rule: 'prod-needs-two', digest: RULE.policyDigest, fromSeq: 5 } });
  });

  it('shows an untrusted approval as asserted by its source, not counted, and judges the run unapproved', () => {
    const c = new ChangeStory().request(alice).plan('v1').approve(bob, 'v1').approve(mallory, 'v1', 'emitter-key').gate('v1').deploy('v1');
    expect(c.answers[0]?.allow).toBe(false);
    given(c)
      .when(STORY)
      .then({
        approvedForPlanThatRan: { verdict: 'no' },
        approvals: [
          { approver: 'bob', counted: true, reason: 'counted' },
          { approver: 'mallory', counted: false, assertedBy: 'key k_pipeline via http', reason: expect.stringMatching(/not counted/) },
        ],
        separationOfDuties: { verdict: 'held', violations: [] },
      });
  });

  it('says no for a run the gate was never asked about', () => {
    const c = approvedChange().deploy('v1');
    given(c).when(STORY).then({ approvedForPlanThatRan: { verdict: 'no', reason: expect.stringMatching(/gate was never asked/) } });
  });

  it('ignores a gate.decided that our gate service did not record', () => {
    const c = new ChangeStory().request(alice).plan('v1').gate('v1');
    const forged = c.events.at(-1)!;
    forged.event = { ...forged.event, outcome: 'allowed', provenance: { kind: 'api_key', id: 'k_pipeline', auth: 'api-key', scopes: [] } };
    c.deploy('v1');
    given(c).when(STORY).then({ approvedForPlanThatRan: { verdict: 'no', gateSeq: null }, policy: { policyId: null } });
  });

  it('follows the status through the lifecycle', () => {
    const c = new ChangeStory().request(alice);
    expect(statusOf(foldChange(c.events))).toBe('requested');
    c.plan('v1');
    expect(statusOf(foldChange(c.events))).toBe('planned');
    c.approve(mallory, 'v1', 'emitter-key');
    expect(statusOf(foldChange(c.events))).toBe('planned');
    c.approve(bob, 'v1').approve(erin, 'v1').gate('v1');
    expect(statusOf(foldChange(c.events))).toBe('approved');
    c.deploy('v1');
    expect(statusOf(foldChange(c.events))).toBe('started');
    c.finish('failed');
    expect(statusOf(foldChange(c.events))).toBe('failed');
    const rejected = new ChangeStory().request(alice).plan('v1').reject(carol, 'v1');
    expect(statusOf(foldChange(rejected.events))).toBe('rejected');
    given(rejected).when(STORY).then({ outcome: { value: 'rejected' } });
  });
});

describe('change lifecycle: the rule the gate records', () => {
  it('reads back exactly what the gate wrote, and nothing half-formed', () => {
    expect(readResolvedRule({ policy: recordedRule(RULE) })).toEqual(RULE);
    expect(readResolvedRule({ policy: { ...recordedRule(RULE), require: { approvals: [{ group: 'sre', count: 'one' }] } } })).toBeUndefined();
    expect(readResolvedRule({ policy: { ...recordedRule(RULE), breakGlassReviewWithin: 'P1M' } })).toBeUndefined();
    expect(readResolvedRule({ policyId: 'prod-db', policyVersion: 3 })).toBeUndefined();
  });
});
