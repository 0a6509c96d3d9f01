import type { AcceptedEvent } from '@audit/contracts';
import type { ResolvedRule } from './resolved-rule';
import type { ApprovalSource } from './trust';

/** A committed event of one change, in ledger order (`seq`). */
export interface ChangeEvent {
  seq: number;
  event: AcceptedEvent;
}

export interface PersonAtTheTime {
  id: string;
  roles: string[];
  teams: string[];
}

/** An `approval.granted` or approving `review.submitted`, counted or not: every claim stays visible. */
export interface ApprovalClaim {
  approver: PersonAtTheTime;
  /** The plan the approver reviewed; undefined for a GitHub review given before any plan existed. */
  planDigest: string | undefined;
  /** Server receipt time (`receivedAt`), not the emitter's claim: expiry is measured from it. */
  at: string;
  seq: number;
  eventId: string;
  via: 'api' | 'github';
  source: ApprovalSource;
  /** Who asserted it, from its provenance ("key k_1", "user token …"). */
  assertedBy: string;
  comment?: string;
}

export interface RejectionClaim {
  by: PersonAtTheTime;
  planDigest: string | undefined;
  at: string;
  seq: number;
  reason: string;
  via: 'api' | 'github';
  assertedBy: string;
}

export interface PlanRecord {
  digest: string;
  summary: NonNullable<AcceptedEvent['plan']>['summary'];
  artifactDigest?: string;
  /** Set when the plan undoes an earlier plan of the change (`details.rollbackOf` = that plan's digest). */
  rollbackOf?: string;
  at: string;
  seq: number;
}

/** A `gate.decided` our gate service recorded (others are ignored: the type is reserved). */
export interface GateRecord {
  seq: number;
  at: string;
  planDigest: string | undefined;
  artifactDigest: string | undefined;
  outcome: string | undefined;
  rule: ResolvedRule | undefined;
}

export type RunEnd = 'deployment.succeeded' | 'deployment.failed' | 'deployment.partially_failed' | 'deployment.cancelled';

/** One deployment of the change, judged when it started, with the state as it was then. */
export interface Run {
  seq: number;
  at: string;
  environment: string;
  planDigest: string | undefined;
  artifactDigest: string | undefined;
  /** The plan digest this run rolls back, when it is a rollback (from its plan or its own `details.rollbackOf`). */
  rollbackOf?: string;
  /** The gate record whose rule judged the run, if any. */
  gateSeq: number | null;
  /** The artifact the plan that ran was bound to when it started (its plan's, else the first the gate allowed). */
  approvedArtifact: { digest: string; seq: number } | null;
  /** What the gate would have answered at the moment the run started: never rewritten afterwards. */
  judgement: import('./gate').GateDecision;
  end?: { type: RunEnd; seq: number; artifactDigest?: string };
}

export interface ChangeState {
  changeId: string | undefined;
  requested?: { requester: PersonAtTheTime; environment: string; resource: AcceptedEvent['resource']; at: string; occurredAt: string; seq: number; reason?: string; followUpOf?: string };
  resources: { kind: string; id: string }[];
  firstEvent?: { seq: number; resource: AcceptedEvent['resource'] };
  plans: PlanRecord[];
  commitAuthors: string[];
  commits: { repo: string; sha: string }[];
  approvals: ApprovalClaim[];
  rejections: RejectionClaim[];
  revocations: { by: string; seq: number }[];
  cancelled?: { by: string; at: string; reason: string; seq: number };
  breakGlass: { by: PersonAtTheTime; at: string; seq: number; reason: string }[];
  breakGlassReviews: { by: string; at: string; seq: number }[];
  gates: GateRecord[];
  /** Every `policy.evaluated`/`gate.decided` (any source), for the story's list of evaluations. */
  evaluations: { seq: number; type: string; policyId: string | null; version: string | null; outcome: string | null }[];
  runs: Run[];
  lastSeq: number;
  lastOccurredAt: string | undefined;
  lastReceivedAt: string | undefined;
  eventCount: number;
}

export const initialChangeState = (): ChangeState => ({
  changeId: undefined,
  resources: [],
  plans: [],
  commitAuthors: [],
  commits: [],
  approvals: [],
  rejections: [],
  revocations: [],
  breakGlass: [],
  breakGlassReviews: [],
  gates: [],
  evaluations: [],
  runs: [],
  lastSeq: 0,
  lastOccurredAt: undefined,
  lastReceivedAt: undefined,
  eventCount: 0,
});

export const currentPlan = (s: ChangeState): PlanRecord | undefined => s.plans.at(-1);

/** Why this person may not approve (or reject) the change: separation of duties. Undefined when they may. */
export function separationOfDutiesConflict(s: ChangeState, personId: string): 'requester' | 'commit-author' | undefined {
  if (s.requested && s.requested.requester.id === personId) return 'requester';
  if (s.commitAuthors.includes(personId)) return 'commit-author';
  return undefined;
}
