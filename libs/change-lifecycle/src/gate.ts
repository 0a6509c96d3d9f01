import { parseIsoDuration } from './iso-duration';
import { fillQuorum } from './quorum';
import { GITHUB_REVIEWER_GROUP, type Requirement, type ResolvedRule } from './resolved-rule';
import { currentPlan, separationOfDutiesConflict, type ApprovalClaim, type ChangeState } from './state';

export type DecisionState = 'pending' | 'approved' | 'rejected' | 'denied' | 'allowed' | 'cancelled' | 'breakglass' | 'rollback';

/** States in which a deploy may go ahead (still subject to the plan, artifact and environment asked about). */
export const PASSING_STATES: ReadonlySet<DecisionState> = new Set(['approved', 'allowed', 'breakglass', 'rollback']);

/**
 * A question about one change at one moment, under the rule that applies to it.
 * - `status`: where does the change stand (`GET /v1/changes/:id/decision`, the story's status)?
 * - `gate`: may this plan (and artifact) be applied to this environment now? Asked by `POST /v1/gate`,
 *   and by the story for every run, at the moment it started.
 */
export interface GateQuestion {
  kind: 'gate' | 'status';
  at: Date;
  /** The rule in force; undefined when the tenant has no policy (or, for a run, no gate record). */
  policy: ResolvedRule | undefined;
  /** Why there is no rule, when `policy` is undefined. */
  noPolicyReason?: string;
  planDigest?: string;
  /** The artifact about to be deployed; undefined when the call names none. */
  artifactDigest?: string;
  environment?: string;
}

export interface CountedApproval {
  approver: string;
  /** The group this approval fills a seat of, and all groups/roles the approver held when approving. */
  countedFor: string;
  teams: string[];
  roles: string[];
  planDigest: string;
  at: string;
  seq: number;
  via: 'api' | 'github';
  assertedBy: string;
}

/** An approval that does not count, and why. `untrusted` marks claims from a source the policy does not trust. */
export interface IgnoredApproval {
  approver: string;
  seq: number;
  reason: string;
  assertedBy: string;
  untrusted: boolean;
}

export type Missing =
  | { kind: 'change.requested' }
  | { kind: 'plan.created' }
  | { kind: 'approvals'; group: string; needed: number; have: number }
  | { kind: 'breakglass.reviewed'; dueAt: string; overdue: boolean };

export interface BreakGlassStatus {
  invokedBy: string;
  invokedAt: string;
  reason: string;
  reviewDueAt: string;
  reviewedBy?: string;
  overdue: boolean;
}

/** Why a passing decision still denies this particular call. */
export interface GateProblem {
  kind: 'environment' | 'plan' | 'artifact';
  message: string;
}

export interface GateDecision {
  state: DecisionState;
  allow: boolean;
  changeId: string | undefined;
  policy: { id: string; version: number; digest: string | null } | null;
  policyVersion: number | null;
  rule: string | null;
  reasons: string[];
  approvals: CountedApproval[];
  ignoredApprovals: IgnoredApproval[];
  missing: Missing[];
  /** The current plan of the change. */
  planDigest: string | undefined;
  /** The artifact the current plan is bound to: recorded on its plan, else the first the gate let through for it. */
  approvedArtifactDigest: string | null;
  /** For a rollback plan: the plan it undoes. */
  rollbackOf?: string;
  breakGlass?: BreakGlassStatus;
  problems: GateProblem[];
}

const ms = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString();

function breakGlassPermitted(req: Requirement): boolean {
  return 'allow' in req || ('approvals' in req && req.breakGlass);
}

/** The artifact a plan is bound to: on the plan itself, else the first artifact our gate allowed for it. */
export function approvedArtifactOf(state: ChangeState, planDigest: string | undefined): { digest: string; seq: number } | null {
  if (!planDigest) return null;
  const plan = [...state.plans].reverse().find((p) => p.digest === planDigest);
  if (plan?.artifactDigest) return { digest: plan.artifactDigest, seq: plan.seq };
  const gate = state.gates.find((g) => g.planDigest === planDigest && g.outcome === 'allowed' && g.artifactDigest);
  return gate?.artifactDigest ? { digest: gate.artifactDigest, seq: gate.seq } : null;
}

/** A rollback plan is honoured as one only if the plan it undoes ran in this change before it was created. */
function rollbackTarget(state: ChangeState): { of: string; runSeq: number } | undefined {
  const plan = currentPlan(state);
  if (!plan?.rollbackOf) return undefined;
  const run = state.runs.find((r) => r.planDigest === plan.rollbackOf && r.seq < plan.seq);
  return run ? { of: plan.rollbackOf, runSeq: run.seq } : undefined;
}

const SOD_REASON = {
  requester: 'separation of duties: the requester cannot approve their own change',
  'commit-author': 'separation of duties: the author of the commit being deployed cannot approve',
} as const;

/** Approvals that count, each other with the reason it does not. Pure. */
function sortApprovals(state: ChangeState, req: Extract<Requirement, { approvals: unknown }>, planDigest: string, now: Date) {
  const validForMs = req.validFor ? parseIsoDuration(req.validFor) : undefined;
  const ignored: IgnoredApproval[] = [];
  const latestByApprover = new Map<string, ApprovalClaim>();
  for (const a of state.approvals) {
    const why = (reason: string, untrusted = false) => ignored.push({ approver: a.approver.id, seq: a.seq, reason, assertedBy: a.assertedBy, untrusted });
    const sod = separationOfDutiesConflict(state, a.approver.id);
    if (a.source.kind === 'untrusted') why(`asserted by ${a.assertedBy}, not counted: ${a.source.reason}`, true);
    else if (a.source.kind === 'github' && !req.acceptGithubReviews) why(`asserted by ${a.assertedBy}, not counted: GitHub reviews do not count under this rule`, true);
    else if (sod) why(SOD_REASON[sod]);
    else if (a.planDigest !== planDigest) why(a.planDigest ? `approved plan ${a.planDigest}, superseded by ${planDigest}` : 'no plan existed when this review was given');
    else if (state.revocations.some((r) => r.by === a.approver.id && r.seq > a.seq)) why('revoked by the approver');
    else if (validForMs !== undefined && ms(a.at) + validForMs <= now.getTime()) why(`expired at ${iso(ms(a.at) + validForMs)} (valid for ${req.validFor})`);
    else {
      const earlier = latestByApprover.get(a.approver.id);
      if (earlier) ignored.push({ approver: earlier.approver.id, seq: earlier.seq, reason: 'superseded by a later approval from the same person', assertedBy: earlier.assertedBy, untrusted: false });
      latestByApprover.set(a.approver.id, a);
    }
  }
  return { valid: [...latestByApprover.values()], ignored };
}

/** Every approval claim, not counted, with its reason: what a decision shows when nothing is counted. */
function notCounted(state: ChangeState, reason: string): IgnoredApproval[] {
  return state.approvals.map((a) =>
    a.source.kind === 'untrusted'
      ? { approver: a.approver.id, seq: a.seq, reason: `asserted by ${a.assertedBy}, not counted: ${a.source.reason}`, assertedBy: a.assertedBy, untrusted: true }
      : { approver: a.approver.id, seq: a.seq, reason, assertedBy: a.assertedBy, untrusted: false },
  );
}

/**
 * Decides where a change stands, or whether a gate call may pass, under the rule that applies. Pure.
 * Order: cancellation → request → rule → deny → rollback → break-glass → freeze → allow → plan →
 * rejection → quorum; then, for a gate question, environment, plan and artifact.
 */
export function decideGate(state: ChangeState, q: GateQuestion): GateDecision {
  const plan = currentPlan(state);
  const base: GateDecision = {
    state: 'pending',
    allow: false,
    changeId: state.changeId,
    policy: q.policy ? { id: q.policy.policyId, version: q.policy.policyVersion, digest: q.policy.policyDigest } : null,
    policyVersion: q.policy?.policyVersion ?? null,
    rule: q.policy?.rule ?? null,
    reasons: [],
    approvals: [],
    ignoredApprovals: [],
    missing: [],
    planDigest: plan?.digest,
    approvedArtifactDigest: approvedArtifactOf(state, plan?.digest)?.digest ?? null,
    ...(plan?.rollbackOf ? { rollbackOf: plan.rollbackOf } : {}),
    problems: [],
  };
  const d = underRule(state, q, base);
  return q.kind === 'gate' ? askGate(state, d, q) : { ...d, allow: PASSING_STATES.has(d.state) };
}

function underRule(state: ChangeState, q: GateQuestion, base: GateDecision): GateDecision {
  if (state.cancelled) return { ...base, state: 'cancelled', reasons: [`cancelled by ${state.cancelled.by}: ${state.cancelled.reason}`] };
  if (!state.requested) return { ...base, reasons: ['no change.requested event for this change yet'], missing: [{ kind: 'change.requested' }] };
  const policy = q.policy;
  if (!policy) {
    const reason = q.noPolicyReason ?? 'no approval policy is published for this tenant';
    return { ...base, state: 'denied', reasons: [reason], ignoredApprovals: notCounted(state, reason) };
  }
  const req = policy.require;
  if ('deny' in req) return { ...base, state: 'denied', reasons: [req.deny], ignoredApprovals: notCounted(state, `rule "${policy.rule}" denies the change`) };

  const reasons: string[] = [];
  const rollback = rollbackTarget(state);
  const plan = currentPlan(state);
  if (rollback && plan) {
    const rejection = state.rejections.find((r) => r.planDigest === plan.digest && (r.via === 'api' || ('approvals' in req && req.acceptGithubReviews)));
    if (rejection) return { ...base, state: 'rejected', reasons: [`rollback plan rejected by ${rejection.by.id} at ${rejection.at}: ${rejection.reason}`] };
    return {
      ...base,
      state: 'rollback',
      reasons: [`plan ${plan.digest} rolls back plan ${rollback.of}, which ran at seq ${rollback.runSeq}: restoring needs no new approval`],
      ignoredApprovals: notCounted(state, 'a rollback needs no approval'),
    };
  }
  if (plan?.rollbackOf) reasons.push(`plan ${plan.digest} claims to roll back ${plan.rollbackOf}, which never ran in this change: judged as a new plan`);

  const invocation = state.breakGlass.at(-1);
  if (invocation && breakGlassPermitted(req)) {
    const due = ms(invocation.at) + (parseIsoDuration(policy.breakGlassReviewWithin) ?? 0);
    const requester = state.requested.requester.id;
    const review = state.breakGlassReviews.find((r) => r.seq > invocation.seq && r.by !== invocation.by.id && r.by !== requester);
    const overdue = !review && q.at.getTime() > due;
    const status: BreakGlassStatus = {
      invokedBy: invocation.by.id,
      invokedAt: invocation.at,
      reason: invocation.reason,
      reviewDueAt: iso(due),
      ...(review ? { reviewedBy: review.by } : {}),
      overdue,
    };
    return {
      ...base,
      state: 'breakglass',
      breakGlass: status,
      reasons: [
        ...reasons,
        `break-glass invoked by ${invocation.by.id} at ${invocation.at}: ${invocation.reason}`,
        review ? `reviewed by ${review.by} at ${review.at}` : overdue ? `follow-up review OVERDUE since ${iso(due)}` : `follow-up review due by ${iso(due)}`,
      ],
      missing: review ? [] : [{ kind: 'breakglass.reviewed', dueAt: iso(due), overdue }],
    };
  }
  if (invocation) reasons.push(`break-glass by ${invocation.by.id} ignored: rule "${policy.rule}" does not permit break-glass`);

  if (policy.frozen.length > 0) {
    const permitted = breakGlassPermitted(req) ? ' (break-glass is permitted by this rule)' : '';
    return { ...base, state: 'denied', reasons: [...reasons, `freeze window in force: ${policy.frozen.join(', ')}${permitted}`] };
  }
  if ('allow' in req) return { ...base, state: 'allowed', reasons: [...reasons, `rule "${policy.rule}" allows this change without approvals`] };

  const needs = req.approvals;
  if (!plan) {
    return {
      ...base,
      reasons: [...reasons, 'approvals are bound to a plan, and no plan.created event exists yet'],
      missing: [{ kind: 'plan.created' }, ...needs.map((n) => ({ kind: 'approvals' as const, group: n.group, needed: n.count, have: 0 }))],
      ignoredApprovals: notCounted(state, 'no plan existed when this review was given'),
    };
  }
  const rejection = state.rejections.find((r) => r.planDigest === plan.digest && (r.via === 'api' || req.acceptGithubReviews));
  if (rejection) {
    return { ...base, state: 'rejected', reasons: [...reasons, `rejected by ${rejection.by.id} at ${rejection.at}: ${rejection.reason} (a new plan is needed)`] };
  }

  const { valid, ignored } = sortApprovals(state, req, plan.digest, q.at);
  const groupsOf = (a: ApprovalClaim) => [...new Set([...a.approver.teams, ...a.approver.roles, ...(a.via === 'github' ? [GITHUB_REVIEWER_GROUP] : [])])];
  const quorum = fillQuorum(
    needs,
    valid.map((a) => ({ id: a.approver.id, groups: groupsOf(a) })),
  );
  const byId = new Map(valid.map((a) => [a.approver.id, a]));
  const counted = quorum.assignment.map(({ id, group }): CountedApproval => {
    const a = byId.get(id) as ApprovalClaim;
    return { approver: id, countedFor: group, teams: a.approver.teams, roles: a.approver.roles, planDigest: plan.digest, at: a.at, seq: a.seq, via: a.via, assertedBy: a.assertedBy };
  });
  const seated = new Set(counted.map((c) => c.approver));
  const extra = valid
    .filter((a) => !seated.has(a.approver.id))
    .map((a) => ({ approver: a.approver.id, seq: a.seq, reason: `not in a group that still needs an approval (${groupsOf(a).join(', ') || 'no groups'})`, assertedBy: a.assertedBy, untrusted: false }));
  const summary = needs.map((n) => `${n.group} ${counted.filter((c) => c.countedFor === n.group).length}/${n.count}`).join(', ');
  return {
    ...base,
    state: quorum.satisfied ? 'approved' : 'pending',
    approvals: counted,
    ignoredApprovals: [...ignored, ...extra].sort((a, b) => a.seq - b.seq),
    missing: quorum.missing.map((m) => ({ kind: 'approvals' as const, ...m })),
    reasons: [...reasons, quorum.satisfied ? `quorum met for plan ${plan.digest}: ${summary}` : `waiting for approvals of plan ${plan.digest}: ${summary}`],
  };
}

/** The gate's extra conditions: a passing decision still denies a different environment, plan or artifact. */
function askGate(state: ChangeState, d: GateDecision, q: GateQuestion): GateDecision {
  if (!PASSING_STATES.has(d.state)) return { ...d, allow: false };
  const problems: GateProblem[] = [];
  if (q.environment !== undefined && q.environment !== state.requested?.environment) {
    problems.push({ kind: 'environment', message: `environment "${q.environment}" is not the change's environment "${state.requested?.environment}"` });
  }
  const plan = currentPlan(state);
  if (q.planDigest !== undefined && plan && q.planDigest !== plan.digest) {
    problems.push({ kind: 'plan', message: `plan ${q.planDigest} is not the ${d.state === 'approved' ? 'approved' : 'current'} plan ${plan.digest}` });
  }
  // The asked plan's artifact binds (it is the current plan, or no plan was recorded at all); for another
  // plan the plan problem above already denies.
  const bound = problems.some((p) => p.kind === 'plan') ? null : approvedArtifactOf(state, q.planDigest ?? plan?.digest);
  if (bound && q.artifactDigest === undefined) {
    problems.push({ kind: 'artifact', message: `the approved plan is bound to artifact ${bound.digest} (seq ${bound.seq}), and the call names no artifact` });
  } else if (bound && q.artifactDigest !== bound.digest) {
    problems.push({ kind: 'artifact', message: `artifact ${q.artifactDigest} is not the artifact ${bound.digest} of the approved plan (seq ${bound.seq})` });
  }
  if (problems.length === 0) return { ...d, allow: true };
  return { ...d, state: 'denied', allow: false, problems, reasons: [...problems.map((p) => p.message), ...d.reasons] };
}
