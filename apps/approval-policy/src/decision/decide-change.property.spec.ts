import fc from 'fast-check';
import { ChangeStory, inForce, STANDARD_POLICY } from '../../test/support/change-events';
import type { ChangeEvent } from '@audit/change-lifecycle';
import { decideChange, type GateAsk, type PolicyInForce } from './decide-change';

/** The decision alone (the adapter also returns the resolved rule it recorded). */
const decide = (events: readonly ChangeEvent[], inForce: PolicyInForce | undefined, now: Date, ask?: GateAsk) => decideChange(events, inForce, now, ask).decision;

const policy = inForce({
  ...STANDARD_POLICY,
  rules: [
    ...STANDARD_POLICY.rules.slice(0, 1),
    {
      name: 'prod-needs-two',
      when: 'change.environment == "prod"',
      require: { approvals: [{ group: 'sre', count: 1 }, { group: 'security', count: 1 }], validFor: 'PT4H', acceptGithubReviews: true },
    },
  ],
});
const NOW = new Date('2026-11-25T12:00:00Z');
const PEOPLE = ['alice', 'bob', 'carol', 'dan', 'erin'] as const;
const GROUPS = ['sre', 'security', 'payments'] as const;
const PLANS = ['v1', 'v2', 'v3'] as const;

const who = fc.record({ id: fc.constantFrom(...PEOPLE), teams: fc.subarray([...GROUPS]) });
const step = fc.oneof(
  fc.record({ kind: fc.constant('plan' as const), label: fc.constantFrom(...PLANS) }),
  fc.record({ kind: fc.constant('approve' as const), who, label: fc.constantFrom(...PLANS) }),
  fc.record({ kind: fc.constant('reject' as const), who, label: fc.constantFrom(...PLANS) }),
  fc.record({ kind: fc.constant('revoke' as const), who }),
  fc.record({ kind: fc.constant('github' as const), who, approved: fc.boolean() }),
  fc.record({ kind: fc.constant('wait' as const), minutes: fc.integer({ min: 0, max: 300 }) }),
);
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/** A random change story: requested by `requester` (who may also be the commit author), then random steps. */
function story(requester: (typeof PEOPLE)[number], author: (typeof PEOPLE)[number], steps: Step[]): ChangeStory {
  const c = new ChangeStory().at('2026-11-25T08:00:00Z').request({ id: requester, teams: ['sre', 'security'] }, { commit: { repo: 'acme/infra', sha: 'b'.repeat(40), author } });
  for (const s of steps) {
    if (s.kind === 'plan') c.plan(s.label);
    else if (s.kind === 'approve') c.approve(s.who, s.label);
    else if (s.kind === 'reject') c.reject(s.who, s.label);
    else if (s.kind === 'revoke') c.add({ type: 'approval.revoked', reason: 'changed my mind' }, s.who);
    else if (s.kind === 'github') c.githubReview(s.who, s.approved ? 'allowed' : 'rejected');
    else c.at(new Date(c.clock.getTime() + s.minutes * 60_000).toISOString());
  }
  return c;
}

const arbitraryStory = fc.tuple(fc.constantFrom(...PEOPLE), fc.constantFrom(...PEOPLE), fc.array(step, { maxLength: 40 }));

describe('decide (properties)', () => {
  it('no sequence of events lets the requester or the commit author approve the change', () => {
    fc.assert(
      fc.property(arbitraryStory, ([requester, author, steps]) => {
        const d = decide(story(requester, author, steps).events, policy, NOW);
        const approvers = d.approvals.map((a) => a.approver);
        expect(approvers).not.toContain(requester);
        expect(approvers).not.toContain(author);
      }),
      { numRuns: 500 },
    );
  });

  it('any new plan digest resets the approvals', () => {
    fc.assert(
      fc.property(arbitraryStory, ([requester, author, steps]) => {
        const c = story(requester, author, steps).plan(`fresh-${steps.length}`);
        const d = decide(c.events, policy, NOW);
        expect(d.approvals).toEqual([]);
        expect(d.state).not.toBe('approved');
      }),
      { numRuns: 300 },
    );
  });

  it('approvals by the same person count once, and only for the current plan', () => {
    fc.assert(
      fc.property(arbitraryStory, ([requester, author, steps]) => {
        const d = decide(story(requester, author, steps).events, policy, NOW);
        const approvers = d.approvals.map((a) => a.approver);
        expect(new Set(approvers).size).toBe(approvers.length);
        for (const a of d.approvals) expect(a.planDigest).toBe(d.planDigest);
        if (d.state === 'approved') expect(approvers.length).toBeGreaterThanOrEqual(2);
      }),
      { numRuns: 300 },
    );
  });

  it('depends on ledger order only, not on the order events are handed in', () => {
    fc.assert(
      fc.property(arbitraryStory, fc.integer(), ([requester, author, steps], seed) => {
        const events = story(requester, author, steps).events;
        const shuffled = [...events].sort((a, b) => ((a.seq * 7919 + seed) % 101) - ((b.seq * 7919 + seed) % 101));
        expect(decide(shuffled, policy, NOW)).toEqual(decide(events, policy, NOW));
      }),
      { numRuns: 200 },
    );
  });
});
