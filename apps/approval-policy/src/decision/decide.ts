import type { CelActivation } from '../policy/cel-environment';
import type { CompiledPolicy, CompiledRule } from '../policy/compile-policy';
import { activeFreezeWindows, localTime } from '../policy/freeze-calendar';
import { parseIsoDuration } from '../policy/iso-duration';
import { GITHUB_REVIEWER_GROUP, type Requirement } from '../policy/policy.document';
import { foldChange, type ChangeEvent, type ChangeState, type RecordedApproval } from './change-state';
import { fillQuorum } from './quorum';

export type DecisionState = 'pending' | 'approved' | 'rejected' | 'denied' | 'allowed' | 'cancelled' | 'breakglass';

/** States in which a deploy may go ahead (still subject to the digest the gate is asked about). */
export const PASSING_STATES: ReadonlySet<DecisionState> = new Set(['approved', 'allowed', 'breakglass']);

export interface PolicyInForce {
  version: number;
  policy: CompiledPolicy;
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
}

export interface IgnoredApproval {
  approver: string;
  seq: number;
  reason: string;
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

export interface Decision {
  state: DecisionState;
  changeId: string | undefined;
  policyVersion: number | null;
  rule: string | null;
  reasons: string[];
  approvals: CountedApproval[];
  ignoredApprovals: IgnoredApproval[];
  missing: Missing[];
  planDigest: string | undefined;
  breakGlass?: BreakGlassStatus;
}

export interface GateQuestion {
  /** The plan digest about to be applied: must be the current (approved) plan. */
  gateDigest?: string;
  artifactDigest?: string;
  environment?: string;
}

const ms = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString();

export function activationOf(state: ChangeState, policy: CompiledPolicy, now: Date): CelActivation {
  const plan = state.plans.at(-1);
  const summary = plan?.summary;
  const local = localTime(now, policy.document.timeZone);
  const kinds = new Set([...state.resources.map((r) => r.kind), ...(summary?.resourceTypes ?? [])]);
  return {
    change: {
      id: state.changeId ?? '',
      environment: state.requested?.environment ?? '',
      resourceKinds: [...kinds],
      resourceIds: state.resources.map((r) => r.id),
    },
    plan: {
      present: plan !== undefined,
      adds: summary?.adds ?? 0,
      changes: summary?.changes ?? 0,
      destroys: summary?.destroys ?? 0,
      replacements: summary?.replacements ?? 0,
      iamChanges: summary?.iamChanges ?? 0,
      securityGroupChanges: summary?.securityGroupChanges ?? 0,
      drift: summary?.drift ?? 0,
      resourceTypes: summary?.resourceTypes ?? [],
    },
    requester: { id: state.requested?.requester.id ?? '', roles: state.requested?.requester.roles ?? [], teams: state.requested?.requester.teams ?? [] },
    now: { hour: local.hour, weekday: local.weekday, minute: local.minute },
  };
}

type RuleChoice = { ok: true; rule: Pick<CompiledRule, 'name' | 'require'> } | { ok: false; rule: string; error: string };

function chooseRule(policy: CompiledPolicy, activation: CelActivation): RuleChoice {
  for (const rule of policy.rules) {
    try {
      if (rule.matches(activation)) return { ok: true, rule };
    } catch (error) {
      // Fail closed: a condition that cannot be evaluated must not let a change through.
      return { ok: false, rule: rule.name, error: error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error) };
    }
  }
  return { ok: true, rule: { name: 'default', require: policy.document.default } };
}

function breakGlassPermitted(req: Requirement): boolean {
  return 'allow' in req || ('approvals' in req && req.breakGlass);
}

/** Approvals that count, each with the reason it would not. Pure. */
function sortApprovals(state: ChangeState, req: Extract<Requirement, { approvals: unknown }>, planDigest: string, now: Date) {
  const requester = state.requested?.requester.id;
  const validForMs = req.validFor ? parseIsoDuration(req.validFor) : undefined;
  const ignored: IgnoredApproval[] = [];
  const latestByApprover = new Map<string, RecordedApproval>();
  for (const a of state.approvals) {
    const why = (reason: string) => ignored.push({ approver: a.approver.id, seq: a.seq, reason });
    if (a.via === 'github' && !req.acceptGithubReviews) why('GitHub reviews do not count under this rule');
    else if (a.approver.id === requester) why('separation of duties: the requester cannot approve their own change');
    else if (state.commitAuthors.includes(a.approver.id)) why('separation of duties: the author of the commit being deployed cannot approve');
    else if (a.planDigest !== planDigest) why(a.planDigest ? `approved plan ${a.planDigest}, superseded by ${planDigest}` : 'no plan existed when this review was given');
    else if (state.revocations.some((r) => r.by === a.approver.id && r.seq > a.seq)) why('revoked by the approver');
    else if (validForMs !== undefined && ms(a.at) + validForMs <= now.getTime()) why(`expired at ${iso(ms(a.at) + validForMs)} (valid for ${req.validFor})`);
    else {
      const earlier = latestByApprover.get(a.approver.id);
      if (earlier) ignored.push({ approver: earlier.approver.id, seq: earlier.seq, reason: 'superseded by a later approval from the same person' });
      latestByApprover.set(a.approver.id, a);
    }
  }
  return { valid: [...latestByApprover.values()], ignored };
}

/**
 * Decides where a change stands under the policy in force, at `now`. Pure: no I/O, no clock of its own.
 * Order: request → cancellation → rule (first match, else default) → deny → break-glass → freeze →
 * allow → plan → rejection → quorum; then, for a gate question, environment and digests.
 */
export function decide(events: readonly ChangeEvent[], inForce: PolicyInForce | undefined, now: Date, question: GateQuestion = {}): Decision {
  const state = foldChange(events);
  const planDigest = state.plans.at(-1)?.digest;
  const base: Decision = {
    state: 'pending',
    changeId: state.changeId,
    policyVersion: inForce?.version ?? null,
    rule: null,
    reasons: [],
    approvals: [],
    ignoredApprovals: [],
    missing: [],
    planDigest,
  };
  if (state.cancelled) return { ...base, state: 'cancelled', reasons: [`cancelled by ${state.cancelled.by}: ${state.cancelled.reason}`] };
  if (!state.requested) return { ...base, reasons: ['no change.requested event for this change yet'], missing: [{ kind: 'change.requested' }] };
  if (!inForce) return { ...base, state: 'denied', reasons: ['no approval policy is published for this tenant'] };
  return askGate(state, decideUnderPolicy(state, inForce.policy, now, base), question);
}

function decideUnderPolicy(state: ChangeState, policy: CompiledPolicy, now: Date, base: Decision): Decision {
  const choice = chooseRule(policy, activationOf(state, policy, now));
  if (!choice.ok) return { ...base, state: 'denied', rule: choice.rule, reasons: [`rule "${choice.rule}" could not be evaluated (${choice.error}); failing closed`] };
  const { rule } = choice;
  const req = rule.require;
  const d: Decision = { ...base, rule: rule.name };
  if ('deny' in req) return { ...d, state: 'denied', reasons: [req.deny] };

  const reasons: string[] = [];
  const invocation = state.breakGlass.at(-1);
  if (invocation && breakGlassPermitted(req)) {
    const due = ms(invocation.at) + (parseIsoDuration(policy.document.breakGlass.reviewWithin) ?? 0);
    const requester = state.requested?.requester.id;
    const review = state.breakGlassReviews.find((r) => r.seq > invocation.seq && r.by !== invocation.by.id && r.by !== requester);
    const overdue = !review && now.getTime() > due;
    const status: BreakGlassStatus = {
      invokedBy: invocation.by.id,
      invokedAt: invocation.at,
      reason: invocation.reason,
      reviewDueAt: iso(due),
      ...(review ? { reviewedBy: review.by } : {}),
      overdue,
    };
    return {
      ...d,
      state: 'breakglass',
      breakGlass: status,
      reasons: [
        `break-glass invoked by ${invocation.by.id} at ${invocation.at}: ${invocation.reason}`,
        review ? `reviewed by ${review.by} at ${review.at}` : overdue ? `follow-up review OVERDUE since ${iso(due)}` : `follow-up review due by ${iso(due)}`,
      ],
      missing: review ? [] : [{ kind: 'breakglass.reviewed', dueAt: iso(due), overdue }],
    };
  }
  if (invocation) reasons.push(`break-glass by ${invocation.by.id} ignored: rule "${rule.name}" does not permit break-glass`);

  const frozen = activeFreezeWindows(policy.document.freezeWindows, state.requested?.environment ?? '', now);
  if (frozen.length > 0) {
    const permitted = breakGlassPermitted(req) ? ' (break-glass is permitted by this rule)' : '';
    return { ...d, state: 'denied', reasons: [...reasons, `freeze window in force: ${frozen.map((w) => w.name).join(', ')}${permitted}`] };
  }
  if ('allow' in req) return { ...d, state: 'allowed', reasons: [...reasons, `rule "${rule.name}" allows this change without approvals`] };

  const needs = req.approvals;
  const planDigest = state.plans.at(-1)?.digest;
  if (!planDigest) {
    return {
      ...d,
      reasons: [...reasons, 'approvals are bound to a plan, and no plan.created event exists yet'],
      missing: [{ kind: 'plan.created' }, ...needs.map((n) => ({ kind: 'approvals' as const, group: n.group, needed: n.count, have: 0 }))],
    };
  }
  const rejection = state.rejections.find((r) => r.planDigest === planDigest && (r.via === 'api' || req.acceptGithubReviews));
  if (rejection) {
    return { ...d, state: 'rejected', reasons: [...reasons, `rejected by ${rejection.by.id} at ${rejection.at}: ${rejection.reason} (a new plan is needed)`] };
  }

  const { valid, ignored } = sortApprovals(state, req, planDigest, now);
  const groupsOf = (a: RecordedApproval) => [...new Set([...a.approver.teams, ...a.approver.roles, ...(a.via === 'github' ? [GITHUB_REVIEWER_GROUP] : [])])];
  const quorum = fillQuorum(
    needs,
    valid.map((a) => ({ id: a.approver.id, groups: groupsOf(a) })),
  );
  const byId = new Map(valid.map((a) => [a.approver.id, a]));
  const counted = quorum.assignment.map(({ id, group }): CountedApproval => {
    const a = byId.get(id) as RecordedApproval;
    return { approver: id, countedFor: group, teams: a.approver.teams, roles: a.approver.roles, planDigest, at: a.at, seq: a.seq, via: a.via };
  });
  const seated = new Set(counted.map((c) => c.approver));
  const extra = valid.filter((a) => !seated.has(a.approver.id)).map((a) => ({ approver: a.approver.id, seq: a.seq, reason: `not in a group that still needs an approval (${groupsOf(a).join(', ') || 'no groups'})` }));
  const summary = needs.map((n) => `${n.group} ${counted.filter((c) => c.countedFor === n.group).length}/${n.count}`).join(', ');
  return {
    ...d,
    state: quorum.satisfied ? 'approved' : 'pending',
    approvals: counted,
    ignoredApprovals: [...ignored, ...extra],
    missing: quorum.missing.map((m) => ({ kind: 'approvals' as const, ...m })),
    reasons: [...reasons, quorum.satisfied ? `quorum met for plan ${planDigest}: ${summary}` : `waiting for approvals of plan ${planDigest}: ${summary}`],
  };
}

/** The gate's extra conditions: a passing decision still denies a different environment, plan or artifact. */
function askGate(state: ChangeState, d: Decision, q: GateQuestion): Decision {
  if (!PASSING_STATES.has(d.state)) return d;
  const problems: string[] = [];
  if (q.environment !== undefined && q.environment !== state.requested?.environment) {
    problems.push(`environment "${q.environment}" is not the change's environment "${state.requested?.environment}"`);
  }
  const plan = state.plans.at(-1);
  if (q.gateDigest !== undefined && plan && q.gateDigest !== plan.digest) {
    problems.push(`plan ${q.gateDigest} is not the ${d.state === 'approved' ? 'approved' : 'current'} plan ${plan.digest}`);
  }
  if (q.artifactDigest !== undefined && plan?.artifactDigest && q.artifactDigest !== plan.artifactDigest) {
    problems.push(`artifact ${q.artifactDigest} is not the artifact ${plan.artifactDigest} of the approved plan`);
  }
  return problems.length === 0 ? d : { ...d, state: 'denied', reasons: [...problems, ...d.reasons] };
}
