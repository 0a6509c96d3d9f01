import type { AcceptedEvent } from '@audit/contracts';
import { approvedArtifactOf, decideGate } from './gate';
import { readResolvedRule } from './resolved-rule';
import { currentPlan, initialChangeState, type ChangeEvent, type ChangeState, type GateRecord, type PersonAtTheTime, type Run, type RunEnd } from './state';
import { approvalSource, approverOf, assertedBy, isTrustedGateRecord, reviewSource } from './trust';

/** The event types that make up a change's story as this library folds it (a view may keep exactly these). */
export const CHANGE_EVENT_TYPES: ReadonlySet<string> = new Set([
  'change.requested',
  'change.cancelled',
  'plan.created',
  'approval.granted',
  'approval.rejected',
  'approval.revoked',
  'review.submitted',
  'breakglass.invoked',
  'breakglass.reviewed',
  'gate.decided',
  'deployment.started',
  'deployment.succeeded',
  'deployment.failed',
  'deployment.partially_failed',
  'deployment.cancelled',
]);

const RUN_ENDS: ReadonlySet<string> = new Set(['deployment.succeeded', 'deployment.failed', 'deployment.partially_failed', 'deployment.cancelled']);

const person = (e: AcceptedEvent): PersonAtTheTime => ({ id: e.actor.id, roles: [...e.actor.roles], teams: [...e.actor.teams] });
const detail = (e: AcceptedEvent, key: string): string | undefined => {
  const v = e.details?.[key];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
};

function withCommit(s: ChangeState, e: AcceptedEvent): ChangeState {
  if (!e.commit) return s;
  const commits = s.commits.some((c) => c.repo === e.commit?.repo && c.sha === e.commit.sha) ? s.commits : [...s.commits, { repo: e.commit.repo, sha: e.commit.sha }];
  const author = e.commit.author;
  const commitAuthors = author && !s.commitAuthors.includes(author) ? [...s.commitAuthors, author] : s.commitAuthors;
  return { ...s, commits, commitAuthors };
}

function withResource(s: ChangeState, e: AcceptedEvent): ChangeState {
  if (s.resources.some((r) => r.kind === e.resource.kind && r.id === e.resource.id)) return s;
  return { ...s, resources: [...s.resources, { kind: e.resource.kind, id: e.resource.id }] };
}

function policyRef(details: Record<string, unknown> | undefined): { policyId: string | null; version: string | null } {
  const nested = details?.['policy'] && typeof details['policy'] === 'object' ? (details['policy'] as Record<string, unknown>) : {};
  const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : null);
  return { policyId: str(details?.['policyId'] ?? nested['id']), version: str(details?.['policyVersion'] ?? nested['version']) };
}

/**
 * The gate record whose rule judges a run of `planDigest`: the last one our gate made for that plan,
 * else (for a rollback plan the pipeline did not ask about) the last one for the plan it rolls back.
 */
function gateFor(s: ChangeState, planDigest: string | undefined): GateRecord | undefined {
  const last = (digest: string | undefined) => [...s.gates].reverse().find((g) => g.planDigest === digest && g.rule);
  const own = last(planDigest);
  if (own) return own;
  const rollbackOf = [...s.plans].reverse().find((p) => p.digest === planDigest)?.rollbackOf;
  return rollbackOf ? last(rollbackOf) : undefined;
}

/** A run is judged once, as it starts, by the gate's own function: later events never change the verdict. */
function startRun(s: ChangeState, seq: number, e: AcceptedEvent): Run {
  const planDigest = e.plan?.digest ?? currentPlan(s)?.digest;
  const gate = gateFor(s, planDigest);
  const judgement = decideGate(s, {
    kind: 'gate',
    at: new Date(e.receivedAt),
    policy: gate?.rule,
    noPolicyReason: planDigest ? `the gate was never asked about plan ${planDigest} before it ran` : 'no plan is known for the deployment',
    ...(planDigest ? { planDigest } : {}),
    ...(e.artifact ? { artifactDigest: e.artifact.digest } : {}),
    environment: e.resource.environment,
  });
  // A run is a rollback only when its plan rolls back a plan that already ran here (as the gate honours it);
  // a "rollback" of anything else is the change's own run, judged and shown as such.
  const claimed = [...s.plans].reverse().find((p) => p.digest === planDigest)?.rollbackOf;
  const rollbackOf = claimed && s.runs.some((r) => r.planDigest === claimed) ? claimed : undefined;
  return {
    seq,
    at: e.receivedAt,
    environment: e.resource.environment,
    planDigest,
    artifactDigest: e.artifact?.digest,
    ...(rollbackOf ? { rollbackOf } : {}),
    gateSeq: gate?.seq ?? null,
    approvedArtifact: approvedArtifactOf(s, planDigest),
    judgement,
  };
}

/**
 * Folds one committed event into the change's state. Pure and total: events of other types only count
 * towards the story's bookkeeping, so the fold of any sequence is defined. Claims are recorded as they
 * were, with who asserted them; what counts is decided by `decideGate`, against the rule.
 */
export function evolve(state: ChangeState, { seq, event: e }: ChangeEvent): ChangeState {
  let s: ChangeState = {
    ...state,
    changeId: state.changeId ?? e.changeId,
    firstEvent: state.firstEvent ?? { seq, resource: { ...e.resource } },
    lastSeq: Math.max(state.lastSeq, seq),
    lastOccurredAt: e.occurredAt,
    lastReceivedAt: e.receivedAt,
    eventCount: state.eventCount + 1,
  };
  switch (e.type) {
    case 'change.requested': {
      s = withResource(withCommit(s, e), e);
      if (s.requested) return s;
      const followUpOf = detail(e, 'followUpOf');
      return {
        ...s,
        requested: { requester: person(e), environment: e.resource.environment, resource: { ...e.resource }, at: e.receivedAt, occurredAt: e.occurredAt, seq, ...(e.reason ? { reason: e.reason } : {}), ...(followUpOf ? { followUpOf } : {}) },
      };
    }
    case 'plan.created': {
      if (!e.plan) return s;
      s = withResource(withCommit(s, e), e);
      const rollbackOf = detail(e, 'rollbackOf');
      return {
        ...s,
        plans: [...s.plans, { digest: e.plan.digest, summary: e.plan.summary, ...(e.artifact ? { artifactDigest: e.artifact.digest } : {}), ...(rollbackOf ? { rollbackOf } : {}), at: e.receivedAt, seq }],
      };
    }
    case 'approval.granted': {
      const source = approvalSource(e);
      const via = source.kind === 'github' ? 'github' : 'api';
      return {
        ...s,
        approvals: [
          ...s.approvals,
          { approver: approverOf(e, source), planDigest: e.plan?.digest, at: e.receivedAt, seq, eventId: e.id, via, source, assertedBy: assertedBy(e.provenance), ...(e.reason ? { comment: e.reason } : {}) },
        ],
      };
    }
    case 'approval.rejected': {
      // A rejection only stops a change, so it counts from any source: the worst a false one does is block, visibly.
      const source = approvalSource(e);
      return {
        ...s,
        rejections: [...s.rejections, { by: approverOf(e, source), planDigest: e.plan?.digest, at: e.receivedAt, seq, reason: e.reason ?? '', via: 'api', assertedBy: assertedBy(e.provenance) }],
      };
    }
    case 'approval.revoked':
      return { ...s, revocations: [...s.revocations, { by: e.actor.id, seq }] };
    case 'review.submitted': {
      // GitHub knows nothing of plans: a review binds to the plan in force when it was recorded, unless it names one.
      const planDigest = e.plan?.digest ?? currentPlan(s)?.digest;
      const source = reviewSource(e);
      if (e.outcome === 'allowed') {
        return {
          ...s,
          approvals: [...s.approvals, { approver: person(e), planDigest, at: e.receivedAt, seq, eventId: e.id, via: 'github', source, assertedBy: assertedBy(e.provenance) }],
        };
      }
      if (e.outcome === 'rejected') {
        return {
          ...s,
          rejections: [...s.rejections, { by: person(e), planDigest, at: e.receivedAt, seq, reason: e.reason ?? 'changes requested on GitHub', via: 'github', assertedBy: assertedBy(e.provenance) }],
        };
      }
      return s;
    }
    case 'change.cancelled':
      return s.cancelled ? s : { ...s, cancelled: { by: e.actor.id, at: e.receivedAt, reason: e.reason ?? '', seq } };
    case 'breakglass.invoked':
      return { ...s, breakGlass: [...s.breakGlass, { by: person(e), at: e.receivedAt, seq, reason: e.reason ?? '' }] };
    case 'breakglass.reviewed':
      return { ...s, breakGlassReviews: [...s.breakGlassReviews, { by: e.actor.id, at: e.receivedAt, seq }] };
    case 'policy.evaluated':
      return { ...s, evaluations: [...s.evaluations, { seq, type: e.type, ...policyRef(e.details), outcome: e.outcome ?? null }] };
    case 'gate.decided': {
      s = { ...s, evaluations: [...s.evaluations, { seq, type: e.type, ...policyRef(e.details), outcome: e.outcome ?? null }] };
      if (!isTrustedGateRecord(e)) return s;
      return { ...s, gates: [...s.gates, { seq, at: e.receivedAt, planDigest: e.plan?.digest, artifactDigest: e.artifact?.digest, outcome: e.outcome, rule: readResolvedRule(e.details) }] };
    }
    case 'deployment.started':
      return { ...withCommit(s, e), runs: [...s.runs, startRun(s, seq, e)] };
    default: {
      if (!RUN_ENDS.has(e.type)) return s;
      s = withCommit(s, e);
      const open = s.runs.at(-1);
      const end = { type: e.type as RunEnd, seq, ...(e.artifact ? { artifactDigest: e.artifact.digest } : {}) };
      // A deployment that reports only its end still deployed something: it is judged like a start.
      const run = open && !open.end ? open : startRun(s, seq, e);
      const runs = open && !open.end ? s.runs.slice(0, -1) : s.runs;
      return { ...s, runs: [...runs, { ...run, end }] };
    }
  }
}

/** Folds events in ledger order (sorted by `seq`, duplicates of a `seq` applied once). */
export function foldChange(events: readonly ChangeEvent[]): ChangeState {
  const seen = new Set<number>();
  return [...events]
    .sort((a, b) => a.seq - b.seq)
    .filter((e) => !seen.has(e.seq) && Boolean(seen.add(e.seq)))
    .reduce(evolve, initialChangeState());
}
