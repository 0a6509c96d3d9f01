import type { AcceptedEvent } from '@audit/contracts';

/** One event of a change as the ledger committed it. */
export interface StoryEvent {
  seq: number;
  recordedAt: string;
  hash: string;
  event: AcceptedEvent;
}

export type ChangeStatus =
  | 'requested'
  | 'planned'
  | 'approved'
  | 'rejected'
  | 'started'
  | 'succeeded'
  | 'failed'
  | 'partially_failed'
  | 'cancelled';

export interface Verdicts {
  /** Was the plan digest that ran approved (valid approvals for exactly that digest, gate not denied)? */
  approvedForPlanThatRan: {
    verdict: 'yes' | 'no' | 'not_run';
    ranPlanDigest: string | null;
    approvedPlanDigests: string[];
    validApprovalSeqs: number[];
    reason: string;
  };
  /** Did the deployed artifact digest equal the approved one (rule in apps/query/README.md)? */
  artifactMatch: {
    verdict: 'yes' | 'no' | 'unknown' | 'not_run';
    deployedArtifactDigest: string | null;
    approvedArtifactDigest: string | null;
    approvedArtifactFromSeq: number | null;
    reason: string;
  };
  /** No approver was the requester or a commit author. */
  separationOfDuties: {
    verdict: 'held' | 'violated' | 'no_approvals';
    requester: string | null;
    commitAuthors: string[];
    violations: { seq: number; approver: string; reason: string }[];
  };
  /** Policy version that decided the gate (else the last one evaluated). */
  policy: {
    policyId: string | null;
    version: string | null;
    fromSeq: number | null;
    evaluations: { seq: number; type: string; policyId: string | null; version: string | null; outcome: string | null }[];
  };
  outcome: { value: 'succeeded' | 'failed' | 'partially_failed' | 'cancelled' | 'rejected' | 'pending'; fromSeq: number | null };
}

export interface ChangeSummary {
  changeId: string;
  status: ChangeStatus;
  environment: string | null;
  resourceKind: string | null;
  resourceId: string | null;
  requester: string | null;
  requestedAt: string | null;
  updatedAt: string;
  firstSeq: number;
  lastSeq: number;
  eventCount: number;
  verdicts: Verdicts;
}

const STATUS_BY_TYPE: Partial<Record<AcceptedEvent['type'], ChangeStatus>> = {
  'change.requested': 'requested',
  'plan.created': 'planned',
  'approval.granted': 'approved',
  'approval.rejected': 'rejected',
  // A revoked approval sends the change back to waiting for approval on its plan.
  'approval.revoked': 'planned',
  'deployment.started': 'started',
  'deployment.succeeded': 'succeeded',
  'deployment.failed': 'failed',
  'deployment.partially_failed': 'partially_failed',
  'deployment.cancelled': 'cancelled',
  'change.cancelled': 'cancelled',
};

const DEPLOYMENT_ENDS = new Set(['deployment.succeeded', 'deployment.failed', 'deployment.partially_failed', 'deployment.cancelled']);

/**
 * Summary and verdicts of one change, from its events in ledger order. Pure: the same events always
 * give the same answer, which is what lets a reviewer trust it and the projector store it.
 */
export function summarizeChange(changeId: string, unordered: readonly StoryEvent[]): ChangeSummary {
  if (unordered.length === 0) throw new Error('a change has at least one event');
  const events = [...unordered].sort((a, b) => a.seq - b.seq);
  const first = events[0]!;
  const last = events[events.length - 1]!;
  const request = events.find((e) => e.event.type === 'change.requested');
  const anchor = (request ?? first).event;
  let status: ChangeStatus = 'requested';
  for (const e of events) status = STATUS_BY_TYPE[e.event.type] ?? status;
  return {
    changeId,
    status,
    environment: anchor.resource.environment,
    resourceKind: anchor.resource.kind,
    resourceId: anchor.resource.id,
    requester: request?.event.actor.id ?? null,
    requestedAt: request?.event.occurredAt ?? null,
    updatedAt: last.event.occurredAt,
    firstSeq: first.seq,
    lastSeq: last.seq,
    eventCount: events.length,
    verdicts: verdictsOf(events, request?.event.actor.id ?? null),
  };
}

function verdictsOf(events: StoryEvent[], requester: string | null): Verdicts {
  const run = findLast(events, (e) => e.event.type === 'deployment.started');
  const beforeRun = run ? events.filter((e) => e.seq < run.seq) : events;
  const commitAuthors = unique(events.map((e) => e.event.commit?.author).filter((a): a is string => !!a));
  const conflicted = new Set([...(requester ? [requester] : []), ...commitAuthors]);

  const sodViolations = events
    .filter((e) => e.event.type === 'approval.granted' && conflicted.has(e.event.actor.id))
    .map((e) => ({ seq: e.seq, approver: e.event.actor.id, reason: e.event.actor.id === requester ? 'approver is the requester' : 'approver is a commit author' }));
  const anyApproval = events.some((e) => e.event.type === 'approval.granted');

  const gate = findLast(beforeRun, (e) => e.event.type === 'gate.decided');
  const ranPlanDigest = run ? (run.event.plan?.digest ?? findLast(beforeRun, (e) => e.event.type === 'plan.created')?.event.plan?.digest ?? null) : null;
  const valid = validApprovals(beforeRun, conflicted);
  const approvedPlanDigests = unique(valid.map((e) => e.event.plan?.digest).filter((d): d is string => !!d));

  return {
    approvedForPlanThatRan: approvalVerdict(run, ranPlanDigest, valid, approvedPlanDigests, beforeRun, gate),
    artifactMatch: artifactVerdict(events, run, beforeRun, ranPlanDigest, valid),
    separationOfDuties: {
      verdict: sodViolations.length > 0 ? 'violated' : anyApproval ? 'held' : 'no_approvals',
      requester,
      commitAuthors,
      violations: sodViolations,
    },
    policy: policyOf(events, gate),
    outcome: outcomeOf(events),
  };
}

/** Grants that count: before the run, not by a conflicted person, not revoked later by the same approver. */
function validApprovals(beforeRun: StoryEvent[], conflicted: Set<string>): StoryEvent[] {
  return beforeRun.filter(
    (e) =>
      e.event.type === 'approval.granted' &&
      !conflicted.has(e.event.actor.id) &&
      !beforeRun.some((r) => r.seq > e.seq && r.event.type === 'approval.revoked' && r.event.actor.id === e.event.actor.id),
  );
}

function approvalVerdict(
  run: StoryEvent | undefined,
  ranPlanDigest: string | null,
  valid: StoryEvent[],
  approvedPlanDigests: string[],
  beforeRun: StoryEvent[],
  gate: StoryEvent | undefined,
): Verdicts['approvedForPlanThatRan'] {
  const base = { ranPlanDigest, approvedPlanDigests };
  if (!run) return { ...base, verdict: 'not_run', validApprovalSeqs: valid.map((e) => e.seq), reason: 'nothing was deployed' };
  if (!ranPlanDigest) return { ...base, verdict: 'no', validApprovalSeqs: [], reason: 'no plan digest is known for the deployment' };
  const forRan = valid.filter((e) => e.event.plan?.digest === ranPlanDigest);
  const seqs = forRan.map((e) => e.seq);
  const veto = beforeRun.find((e) => e.event.type === 'approval.rejected' && e.event.plan?.digest === ranPlanDigest);
  if (veto) return { ...base, verdict: 'no', validApprovalSeqs: seqs, reason: `the plan that ran was rejected at seq ${veto.seq}` };
  if (gate && gate.event.outcome !== 'allowed') return { ...base, verdict: 'no', validApprovalSeqs: seqs, reason: `the gate decided ${gate.event.outcome} at seq ${gate.seq}` };
  if (forRan.length === 0) {
    const other = approvedPlanDigests.length > 0 ? ` (approvals were for ${approvedPlanDigests.join(', ')})` : '';
    return { ...base, verdict: 'no', validApprovalSeqs: [], reason: `no valid approval for the plan that ran${other}` };
  }
  return { ...base, verdict: 'yes', validApprovalSeqs: seqs, reason: `${forRan.length} valid approval(s) for ${ranPlanDigest}` };
}

/**
 * The approved artifact is, in order of precedence: the artifact of the last allowing `gate.decided`
 * before the run (the gate is told the digest it is about to let through), else the artifact on the
 * `plan.created` of the plan that ran, else the artifact on the last valid approval of that plan.
 */
function artifactVerdict(
  events: StoryEvent[],
  run: StoryEvent | undefined,
  beforeRun: StoryEvent[],
  ranPlanDigest: string | null,
  valid: StoryEvent[],
): Verdicts['artifactMatch'] {
  if (!run) return { verdict: 'not_run', deployedArtifactDigest: null, approvedArtifactDigest: null, approvedArtifactFromSeq: null, reason: 'nothing was deployed' };
  const end = events.find((e) => e.seq > run.seq && DEPLOYMENT_ENDS.has(e.event.type) && e.event.artifact);
  const startedDigest = run.event.artifact?.digest ?? null;
  const deployed = end?.event.artifact?.digest ?? startedDigest;
  const source =
    findLast(beforeRun, (e) => e.event.type === 'gate.decided' && e.event.outcome === 'allowed' && !!e.event.artifact) ??
    findLast(beforeRun, (e) => e.event.type === 'plan.created' && e.event.plan?.digest === ranPlanDigest && !!e.event.artifact) ??
    findLast(valid, (e) => e.event.plan?.digest === ranPlanDigest && !!e.event.artifact);
  const approved = source?.event.artifact?.digest ?? null;
  const base = { deployedArtifactDigest: deployed, approvedArtifactDigest: approved, approvedArtifactFromSeq: source?.seq ?? null };
  if (startedDigest && deployed && startedDigest !== deployed) {
    return { ...base, verdict: 'no', reason: `the run started with ${startedDigest} but reported ${deployed}` };
  }
  if (!deployed) return { ...base, verdict: 'unknown', reason: 'the deployment does not name its artifact' };
  if (!approved) return { ...base, verdict: 'unknown', reason: 'no approved artifact is recorded (gate decision, plan or approval)' };
  return deployed === approved
    ? { ...base, verdict: 'yes', reason: `deployed ${deployed} as approved at seq ${source!.seq}` }
    : { ...base, verdict: 'no', reason: `deployed ${deployed} but ${approved} was approved at seq ${source!.seq}` };
}

function policyOf(events: StoryEvent[], gate: StoryEvent | undefined): Verdicts['policy'] {
  const evaluations = events
    .filter((e) => e.event.type === 'policy.evaluated' || e.event.type === 'gate.decided')
    .map((e) => ({ seq: e.seq, type: e.event.type, ...policyRef(e.event.details), outcome: e.event.outcome ?? null }));
  const applied = (gate && evaluations.find((e) => e.seq === gate.seq)) ?? evaluations[evaluations.length - 1];
  return { policyId: applied?.policyId ?? null, version: applied?.version ?? null, fromSeq: applied?.seq ?? null, evaluations };
}

/** `details.policyId`/`details.policyVersion`, or `details.policy.{id,version}`. */
function policyRef(details: Record<string, unknown> | undefined): { policyId: string | null; version: string | null } {
  const nested = details?.policy && typeof details.policy === 'object' ? (details.policy as Record<string, unknown>) : {};
  const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : null);
  return { policyId: str(details?.policyId ?? nested.id), version: str(details?.policyVersion ?? nested.version) };
}

function outcomeOf(events: StoryEvent[]): Verdicts['outcome'] {
  const end = findLast(events, (e) => DEPLOYMENT_ENDS.has(e.event.type) || e.event.type === 'change.cancelled');
  if (end) {
    const value = end.event.type === 'change.cancelled' ? 'cancelled' : (end.event.type.slice('deployment.'.length) as Verdicts['outcome']['value']);
    return { value, fromSeq: end.seq };
  }
  const started = findLast(events, (e) => e.event.type === 'deployment.started');
  const lastDecision = findLast(events, (e) => e.event.type.startsWith('approval.'));
  if (lastDecision?.event.type === 'approval.rejected' && !started) return { value: 'rejected', fromSeq: lastDecision.seq };
  return { value: 'pending', fromSeq: null };
}

function findLast<T>(items: readonly T[], predicate: (item: T) => boolean): T | undefined {
  for (let i = items.length - 1; i >= 0; i--) if (predicate(items[i]!)) return items[i];
  return undefined;
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
