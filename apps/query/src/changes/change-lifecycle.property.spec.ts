import fc from 'fast-check';
import type { CommittedRecord } from '@audit/contracts';
import { decideGate, foldChange, judgeRun, type Run } from '@audit/change-lifecycle';
import { ChangeStory, digestOf, RULE, type ClaimSource } from '@audit/change-lifecycle/testing';
import { parseRule, type AlertRule } from '../alerting/rules/alert-rule.schema';
import { BUILTIN_RULES } from '../alerting/rules/builtin-rules';
import { step } from '../alerting/evaluation/stream-evaluator';
import { summarizeChange, type StoryEvent } from './change-story/change-verdicts';

/**
 * Issue 15: for random lifecycles, the gate's answer at deploy time, the change story's verdicts and the
 * domain alerts never contradict each other. The gate is asked the way approval-policy asks the change
 * model (the resolved rule is fixed here: CEL is approval-policy's part); the story and the alerts are the
 * query service's own functions.
 */

const builtin = (id: string): AlertRule => {
  const parsed = parseRule(BUILTIN_RULES[id]);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return { tenant: 'acme', id, version: 0, definition: parsed.definition, source: BUILTIN_RULES[id]! };
};
const PROD_WITHOUT_APPROVAL = builtin('builtin.prod-without-approval');
const ARTIFACT_MISMATCH = builtin('builtin.artifact-mismatch');
const UNTRUSTED_APPROVAL = builtin('builtin.untrusted-approval');

const PEOPLE = ['alice', 'bob', 'carol', 'dan', 'erin'] as const;
const GROUPS = ['sre', 'security', 'payments'] as const;
const PLANS = ['v1', 'v1', 'v2'] as const;
const ARTIFACTS = ['image-1', 'image-2'] as const;
const SOURCES: ClaimSource[] = ['approvals-api', 'approvals-api', 'approvals-key', 'github', 'emitter-key', 'none'];

// Mostly the usual teams, sometimes a random claim: quorums are met often enough to matter.
const who: fc.Arbitrary<{ id: string; teams: readonly string[] }> = fc.oneof(
  { arbitrary: fc.constantFrom({ id: 'bob', teams: ['sre'] }, { id: 'erin', teams: ['security'] }, { id: 'dan', teams: ['sre', 'security'] }, { id: 'carol', teams: ['sre'] }), weight: 3 },
  { arbitrary: fc.record({ id: fc.constantFrom(...PEOPLE), teams: fc.subarray([...GROUPS]) }), weight: 1 },
);
const artifact = fc.option(fc.constantFrom(...ARTIFACTS), { nil: undefined });
const stepArb = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('plan' as const), label: fc.constantFrom(...PLANS), artifact }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('rollback' as const), label: fc.constantFrom(...PLANS) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('approve' as const), who, label: fc.constantFrom(...PLANS), source: fc.constantFrom(...SOURCES) }), weight: 20 },
  { arbitrary: fc.record({ kind: fc.constant('reject' as const), who, label: fc.constantFrom(...PLANS) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('revoke' as const), who }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('github' as const), who, approved: fc.boolean() }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('breakglass' as const), who }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('wait' as const), minutes: fc.integer({ min: 0, max: 150 }) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('gate' as const), label: fc.constantFrom(...PLANS), artifact }), weight: 5 },
  // A pipeline that asks the gate and deploys at once, or one that deploys without asking.
  {
    arbitrary: fc.record({ kind: fc.constant('deploy' as const), label: fc.option(fc.constantFrom(...PLANS, 'undo-v1', 'undo-v2'), { nil: undefined }), artifact: fc.constantFrom(...ARTIFACTS), gated: fc.boolean() }),
    weight: 8,
  },
  { arbitrary: fc.record({ kind: fc.constant('finish' as const), outcome: fc.constantFrom('succeeded' as const, 'failed' as const, 'partially_failed' as const), artifact: fc.constantFrom(...ARTIFACTS) }), weight: 3 },
);
type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;

const RULES = [RULE, { ...RULE, require: { ...RULE.require, acceptGithubReviews: true } }, { ...RULE, rule: 'staging-free', require: { allow: true as const } }] as const;

function lifecycle(requester: string, author: string, ruleIndex: number, steps: Step[]): ChangeStory {
  const rule = RULES[ruleIndex]!;
  const c = new ChangeStory().request({ id: requester, teams: ['sre', 'security'] }, { commit: { repo: 'acme/infra', sha: 'b'.repeat(40), author } });
  for (const s of steps) {
    if (s.kind === 'plan') c.plan(s.label, {}, s.artifact ? { artifact: { digest: digestOf(s.artifact), kind: 'container-image' } } : {});
    else if (s.kind === 'rollback') c.rollbackPlan(`undo-${s.label}`, s.label);
    else if (s.kind === 'approve') c.approve(s.who, s.label, s.source);
    else if (s.kind === 'reject') c.reject(s.who, s.label);
    else if (s.kind === 'revoke') c.revoke(s.who);
    else if (s.kind === 'github') c.githubReview(s.who, s.approved ? 'allowed' : 'rejected', 'github');
    else if (s.kind === 'breakglass') c.breakGlass(s.who);
    else if (s.kind === 'wait') c.later(s.minutes);
    else if (s.kind === 'gate') c.gate(s.label, { rule, ...(s.artifact ? { artifact: s.artifact } : {}) });
    else if (s.kind === 'deploy') {
      if (s.gated && s.label) c.gate(s.label, { rule, artifact: s.artifact });
      c.deploy(s.label, s.artifact);
    } else c.finish(s.outcome, s.artifact);
  }
  return c;
}


const storyEvents = (c: ChangeStory): StoryEvent[] => c.events.map((e) => ({ seq: e.seq, recordedAt: e.event.receivedAt, hash: 'f'.repeat(64), event: e.event }));
const record = (e: StoryEvent): CommittedRecord => ({ event: e.event, seq: e.seq, recordedAt: e.recordedAt, leafHash: 'a'.repeat(64), hash: e.hash, prevHash: 'c'.repeat(64) });
const fires = (rule: AlertRule, events: StoryEvent[], upTo: number) => step({ rule, record: record(events[upTo]!), states: new Map(), changeEvents: events.slice(0, upTo + 1) }).firings.length > 0;

const arbitrary: fc.Arbitrary<[string, string, number, Step[]]> = fc.tuple(fc.constantFrom(...PEOPLE), fc.constantFrom(...PEOPLE), fc.integer({ min: 0, max: RULES.length - 1 }), fc.array(stepArb, { maxLength: 40, size: 'medium' }));

const bob = { id: 'bob', teams: ['sre'] };
const erin = { id: 'erin', teams: ['security'] };
const mallory = { id: 'mallory', teams: ['security'] };
const approveBoth: Step[] = [
  { kind: 'plan', label: 'v1', artifact: undefined },
  { kind: 'approve', who: bob, label: 'v1', source: 'approvals-api' },
  { kind: 'approve', who: erin, label: 'v1', source: 'approvals-api' },
];
/** The disagreements of issue 15, always among the lifecycles checked (fast-check runs examples first). */
const EXAMPLES: [string, string, number, Step[]][] = [
  // approve P1, gate(P1) allow, gate(another plan) deny, deploy P1.
  ['alice', 'carol', 0, [...approveBoth, { kind: 'gate', label: 'v1', artifact: 'image-1' }, { kind: 'gate', label: 'v2', artifact: 'image-1' }, { kind: 'deploy', label: 'v1', artifact: 'image-1', gated: false }]],
  // partially_failed, then a rollback plan that succeeded.
  [
    'alice',
    'carol',
    0,
    [
      ...approveBoth,
      { kind: 'deploy', label: 'v1', artifact: 'image-1', gated: true },
      { kind: 'finish', outcome: 'partially_failed', artifact: 'image-1' },
      { kind: 'rollback', label: 'v1' },
      { kind: 'deploy', label: 'undo-v1', artifact: 'image-2', gated: true },
      { kind: 'finish', outcome: 'succeeded', artifact: 'image-2' },
    ],
  ],
  // the plan recorded an artifact and the gate call names none.
  ['alice', 'carol', 0, [{ kind: 'plan', label: 'v1', artifact: 'image-1' }, ...approveBoth.slice(1), { kind: 'gate', label: 'v1', artifact: undefined }, { kind: 'deploy', label: 'v1', artifact: 'image-1', gated: false }]],
  // an emitter key asserts the security approval.
  ['alice', 'carol', 0, [...approveBoth.slice(0, 2), { kind: 'approve', who: mallory, label: 'v1', source: 'emitter-key' }, { kind: 'deploy', label: 'v1', artifact: 'image-1', gated: true }]],
];

describe('change lifecycle (properties): gate, story and alerts agree', () => {
  it('never contradict each other on any run', () => {
    fc.assert(
      fc.property(arbitrary, ([requester, author, ruleIndex, steps]) => {
        const c = lifecycle(requester, author, ruleIndex, steps);
        const events = storyEvents(c);
        const state = foldChange(c.events);
        for (const run of state.runs) {
          const at = events.findIndex((e) => e.seq === run.seq);
          const before = foldChange(c.events.slice(0, at));
          const started = events[at]!.event;
          // The gate's answer had the pipeline asked at the very moment the run started.
          const gate = decideGate(before, {
            kind: 'gate',
            at: new Date(started.receivedAt),
            policy: RULES[ruleIndex],
            ...(run.planDigest ? { planDigest: run.planDigest } : {}),
            ...(started.artifact ? { artifactDigest: started.artifact.digest } : {}),
            environment: started.resource.environment,
          });
          const atStart = judgeRun({ ...run, end: undefined } as Run);
          if (run.gateSeq !== null) {
            expect(atStart.approved.verdict === 'yes' && atStart.artifact.verdict !== 'no').toBe(gate.allow);
          } else {
            expect(atStart.approved.verdict).toBe('no');
          }
          // The domain alerts fire exactly on the story's "no" verdicts, at the record that starts the run.
          if (started.type === 'deployment.started') {
            expect(fires(PROD_WITHOUT_APPROVAL, events, at)).toBe(atStart.approved.verdict === 'no');
            expect(fires(ARTIFACT_MISMATCH, events, at)).toBe(atStart.artifact.verdict === 'no');
          }
        }
        // The story's verdict is the judgement of the change's own run, whatever came after it.
        const story = summarizeChange('CHG-1', events).verdicts;
        const forward = [...state.runs].reverse().find((r) => !r.rollbackOf);
        if (forward) {
          const v = judgeRun(forward);
          expect(story.approvedForPlanThatRan.verdict).toBe(v.approved.verdict);
          expect(story.artifactMatch.verdict).toBe(v.artifact.verdict);
          expect(story.outcome.value).toBe(v.outcome?.value ?? (state.cancelled ? 'cancelled' : story.outcome.value));
          // A later gate call, for any plan, never rewrites the verdict of the plan that ran.
          const later = lifecycle(requester, author, ruleIndex, [...steps, { kind: 'gate', label: 'v2', artifact: 'image-2' }, { kind: 'gate', label: 'v1', artifact: undefined }]);
          expect(summarizeChange('CHG-1', storyEvents(later)).verdicts.approvedForPlanThatRan).toEqual(story.approvedForPlanThatRan);
        } else {
          expect(story.approvedForPlanThatRan.verdict).toBe('not_run');
        }
        // Every approval claim from an untrusted source is shown not counted, and alerted on, and nothing else is.
        for (const [i, e] of events.entries()) {
          if (e.event.type !== 'approval.granted' && e.event.type !== 'review.submitted') continue;
          const claim = story.approvals.find((a) => a.seq === e.seq);
          const untrusted = claim?.reason.startsWith(`asserted by ${claim.assertedBy}, not counted`) === true && !/GitHub reviews do not count/.test(claim.reason);
          if (untrusted) expect(claim?.counted).toBe(false);
          expect(fires(UNTRUSTED_APPROVAL, events, i)).toBe(untrusted);
        }
        // Separation of duties holds whatever the sources: the requester and the commit author are never counted.
        for (const run of state.runs) {
          const counted = run.judgement.approvals.map((a) => a.approver);
          expect(counted).not.toContain(requester);
          expect(counted).not.toContain(author);
        }
      }),
      { numRuns: 300, examples: EXAMPLES.map((e): [[string, string, number, Step[]]] => [e]) },
    );
  });
});
