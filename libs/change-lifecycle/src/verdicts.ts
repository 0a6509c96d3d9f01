import { decideGate, PASSING_STATES, type GateDecision } from './gate';
import { currentPlan, separationOfDutiesConflict, type ApprovalClaim, type ChangeState, type Run } from './state';

export type ChangeStatus = 'requested' | 'planned' | 'approved' | 'rejected' | 'started' | 'succeeded' | 'failed' | 'partially_failed' | 'cancelled';
export type RunOutcome = 'succeeded' | 'failed' | 'partially_failed' | 'cancelled';

/** How one run is judged: its approval (the gate's answer at the moment it started) and its artifact. */
export interface RunVerdict {
  runSeq: number;
  planDigest: string | null;
  rollbackOf: string | null;
  approved: { verdict: 'yes' | 'no'; reason: string; validApprovalSeqs: number[]; gateSeq: number | null };
  artifact: {
    verdict: 'yes' | 'no' | 'unknown';
    deployedArtifactDigest: string | null;
    approvedArtifactDigest: string | null;
    approvedArtifactFromSeq: number | null;
    reason: string;
  };
  outcome: { value: RunOutcome; fromSeq: number } | null;
}

export interface ApprovalClaimView {
  seq: number;
  approver: string;
  planDigest: string | null;
  assertedBy: string;
  counted: boolean;
  reason: string;
}

export interface StoryVerdicts {
  /** Was the plan that ran approved? The gate's own answer at the moment the run started, under the rule it used. */
  approvedForPlanThatRan: {
    verdict: 'yes' | 'no' | 'not_run';
    ranPlanDigest: string | null;
    approvedPlanDigests: string[];
    validApprovalSeqs: number[];
    gateSeq: number | null;
    runSeq: number | null;
    reason: string;
  };
  /** Did the deployed artifact equal the one the plan that ran was bound to? */
  artifactMatch: {
    verdict: 'yes' | 'no' | 'unknown' | 'not_run';
    deployedArtifactDigest: string | null;
    approvedArtifactDigest: string | null;
    approvedArtifactFromSeq: number | null;
    reason: string;
  };
  /** No approval the policy would otherwise count came from the requester or a commit author. */
  separationOfDuties: {
    verdict: 'held' | 'violated' | 'no_approvals';
    requester: string | null;
    commitAuthors: string[];
    violations: { seq: number; approver: string; reason: string }[];
  };
  /** The policy (id, version, rule) that judged the plan that ran, else the last one the gate used. */
  policy: {
    policyId: string | null;
    version: string | null;
    digest: string | null;
    rule: string | null;
    fromSeq: number | null;
    evaluations: ChangeState['evaluations'];
  };
  /** The outcome of the change's own run; a rollback is shown beside it, it never replaces it. */
  outcome: {
    value: RunOutcome | 'rejected' | 'pending';
    fromSeq: number | null;
    rolledBack: { runSeq: number; planDigest: string | null; outcome: RunOutcome | null } | null;
  };
  /** Every approval claim, counted or not, with who asserted it. */
  approvals: ApprovalClaimView[];
  rollbacks: RunVerdict[];
  followUpOf: string | null;
}

/** Whether a judgement failed only on its artifact (the approval itself held). */
const approvalHeld = (j: GateDecision) => j.allow || (j.problems.length > 0 && j.problems.every((p) => p.kind === 'artifact'));

/** The run a record at `seq` belongs to (its start, or an end reported after it). */
export function runAt(state: ChangeState, seq: number): Run | undefined {
  return state.runs.find((r) => r.seq === seq || r.end?.seq === seq);
}

export function judgeRun(run: Run): RunVerdict {
  const j = run.judgement;
  const held = approvalHeld(j);
  const approvalReasons = j.reasons.filter((r) => !j.problems.some((p) => p.kind === 'artifact' && p.message === r));
  const deployed = run.end?.artifactDigest ?? run.artifactDigest ?? null;
  const bound = run.approvedArtifact;
  const artifactBase = { deployedArtifactDigest: deployed, approvedArtifactDigest: bound?.digest ?? null, approvedArtifactFromSeq: bound?.seq ?? null };
  const artifact: RunVerdict['artifact'] =
    run.artifactDigest && run.end?.artifactDigest && run.artifactDigest !== run.end.artifactDigest
      ? { ...artifactBase, verdict: 'no', reason: `the run started with ${run.artifactDigest} but reported ${run.end.artifactDigest}` }
      : !deployed
        ? { ...artifactBase, verdict: 'unknown', reason: 'the deployment does not name its artifact' }
        : !bound
          ? { ...artifactBase, verdict: 'unknown', reason: 'no artifact is bound to the plan that ran (neither on the plan nor let through by the gate)' }
          : deployed === bound.digest
            ? { ...artifactBase, verdict: 'yes', reason: `deployed ${deployed} as bound at seq ${bound.seq}` }
            : { ...artifactBase, verdict: 'no', reason: `deployed ${deployed} but ${bound.digest} was approved at seq ${bound.seq}` };
  return {
    runSeq: run.seq,
    planDigest: run.planDigest ?? null,
    rollbackOf: run.rollbackOf ?? null,
    approved: { verdict: held ? 'yes' : 'no', reason: approvalReasons.join('; '), validApprovalSeqs: j.approvals.map((a) => a.seq), gateSeq: run.gateSeq },
    artifact,
    outcome: run.end ? { value: run.end.type.slice('deployment.'.length) as RunOutcome, fromSeq: run.end.seq } : null,
  };
}

/** The change's own (forward) run: the last one that is not a rollback. */
export const forwardRun = (s: ChangeState): Run | undefined => [...s.runs].reverse().find((r) => !r.rollbackOf);

/** Trusted approvals not barred by separation of duties or revoked: the ones a rule could count. */
function countable(s: ChangeState, a: ApprovalClaim): boolean {
  return a.source.kind !== 'untrusted' && !separationOfDutiesConflict(s, a.approver.id) && !s.revocations.some((r) => r.by === a.approver.id && r.seq > a.seq);
}

/** The gate record whose rule applies to the current plan (itself, else the plan it rolls back). */
function ruleForCurrentPlan(s: ChangeState) {
  const plan = currentPlan(s);
  const last = (d: string | undefined) => [...s.gates].reverse().find((g) => g.planDigest === d && g.rule);
  return last(plan?.digest) ?? last(plan?.rollbackOf);
}

/** Where the change stands now, before (or without) a run: under the rule the gate last used for the current plan. */
export function statusDecision(s: ChangeState): GateDecision | undefined {
  const gate = ruleForCurrentPlan(s);
  if (!gate?.rule) return undefined;
  return decideGate(s, { kind: 'status', at: new Date(s.lastReceivedAt ?? 0), policy: gate.rule });
}

export function statusOf(s: ChangeState): ChangeStatus {
  if (s.cancelled) return 'cancelled';
  const run = forwardRun(s);
  if (run) return run.end ? (run.end.type.slice('deployment.'.length) as ChangeStatus) : 'started';
  const plan = currentPlan(s);
  if (!plan) return 'requested';
  const d = statusDecision(s);
  if (d) return d.state === 'rejected' ? 'rejected' : PASSING_STATES.has(d.state) ? 'approved' : 'planned';
  // No gate decision yet, so no rule is known: a rejection of the plan still stops it, and a countable
  // approval shows the change is under review. The gate alone says whether the quorum is met.
  if (s.rejections.some((r) => r.planDigest === plan.digest)) return 'rejected';
  return s.approvals.some((a) => a.planDigest === plan.digest && countable(s, a)) ? 'approved' : 'planned';
}

function claimsView(s: ChangeState, judgement: GateDecision | undefined): ApprovalClaimView[] {
  return s.approvals.map((a) => {
    const counted = judgement?.approvals.some((c) => c.seq === a.seq) ?? false;
    const ignored = judgement?.ignoredApprovals.find((i) => i.seq === a.seq);
    const reason = counted
      ? 'counted'
      : a.source.kind === 'untrusted'
        ? `asserted by ${a.assertedBy}, not counted: ${a.source.reason}`
        : (ignored?.reason ?? (judgement ? 'given after the run, or not needed' : 'no gate decision yet: not counted by anything'));
    return { seq: a.seq, approver: a.approver.id, planDigest: a.planDigest ?? null, assertedBy: a.assertedBy, counted, reason };
  });
}

/** The story's verdicts of a change, from its folded state. Pure: same events, same verdicts. */
export function storyVerdicts(s: ChangeState): StoryVerdicts {
  const run = forwardRun(s);
  const rv = run ? judgeRun(run) : undefined;
  const beforeRun = run ? s.approvals.filter((a) => a.seq < run.seq) : s.approvals;
  const approvedPlanDigests = [...new Set(beforeRun.filter((a) => countable(s, a) && a.planDigest).map((a) => a.planDigest as string))];
  const requester = s.requested?.requester.id ?? null;
  const violations = s.approvals
    .filter((a) => a.source.kind !== 'untrusted' && separationOfDutiesConflict(s, a.approver.id))
    .map((a) => ({ seq: a.seq, approver: a.approver.id, reason: separationOfDutiesConflict(s, a.approver.id) === 'requester' ? 'approver is the requester' : 'approver is a commit author' }));

  const gateUsed = run?.gateSeq != null ? s.gates.find((g) => g.seq === run.gateSeq) : [...s.gates].reverse().find((g) => g.rule);
  const rule = gateUsed?.rule;
  const rollbacks = s.runs.filter((r) => r.rollbackOf).map(judgeRun);
  const lastRollback = run ? [...rollbacks].reverse().find((r) => r.runSeq > run.seq) : undefined;
  const status = statusOf(s);

  return {
    approvedForPlanThatRan: rv
      ? { verdict: rv.approved.verdict, ranPlanDigest: rv.planDigest, approvedPlanDigests, validApprovalSeqs: rv.approved.validApprovalSeqs, gateSeq: rv.approved.gateSeq, runSeq: rv.runSeq, reason: rv.approved.reason }
      : { verdict: 'not_run', ranPlanDigest: null, approvedPlanDigests, validApprovalSeqs: [], gateSeq: null, runSeq: null, reason: 'nothing was deployed' },
    artifactMatch: rv ? rv.artifact : { verdict: 'not_run', deployedArtifactDigest: null, approvedArtifactDigest: null, approvedArtifactFromSeq: null, reason: 'nothing was deployed' },
    separationOfDuties: {
      verdict: violations.length > 0 ? 'violated' : s.approvals.some((a) => a.source.kind !== 'untrusted') ? 'held' : 'no_approvals',
      requester,
      commitAuthors: [...s.commitAuthors],
      violations,
    },
    policy: {
      policyId: rule?.policyId ?? null,
      version: rule ? String(rule.policyVersion) : null,
      digest: rule?.policyDigest ?? null,
      rule: rule?.rule ?? null,
      fromSeq: rule ? (gateUsed?.seq ?? null) : null,
      evaluations: s.evaluations,
    },
    outcome: {
      ...(rv?.outcome
        ? { value: rv.outcome.value, fromSeq: rv.outcome.fromSeq }
        : s.cancelled
          ? { value: 'cancelled' as const, fromSeq: s.cancelled.seq }
          : status === 'rejected'
            ? { value: 'rejected' as const, fromSeq: s.rejections.at(-1)?.seq ?? null }
            : { value: 'pending' as const, fromSeq: null }),
      rolledBack: lastRollback ? { runSeq: lastRollback.runSeq, planDigest: lastRollback.planDigest, outcome: lastRollback.outcome?.value ?? null } : null,
    },
    approvals: claimsView(s, run?.judgement ?? statusDecision(s)),
    rollbacks,
    followUpOf: s.requested?.followUpOf ?? null,
  };
}

/** An approval claim at `seq` that no policy counts (untrusted source), for the "untrusted approval" alert. */
export function untrustedClaimAt(s: ChangeState, seq: number): (ApprovalClaim & { source: { kind: 'untrusted'; reason: string } }) | undefined {
  const a = s.approvals.find((c) => c.seq === seq);
  return a && a.source.kind === 'untrusted' ? (a as ApprovalClaim & { source: { kind: 'untrusted'; reason: string } }) : undefined;
}
