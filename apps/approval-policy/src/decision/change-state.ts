import type { AcceptedEvent } from '@audit/contracts';

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

export interface RecordedApproval {
  approver: PersonAtTheTime;
  /** The plan the approver reviewed; undefined for a GitHub review given before any plan existed. */
  planDigest: string | undefined;
  /** Server receipt time (ingest's `receivedAt`), not the emitter's claim: expiry is measured from it. */
  at: string;
  seq: number;
  eventId: string;
  via: 'api' | 'github';
  comment?: string;
}

export interface RecordedRejection {
  by: PersonAtTheTime;
  planDigest: string | undefined;
  at: string;
  seq: number;
  reason: string;
  via: 'api' | 'github';
}

export interface ChangeState {
  changeId: string | undefined;
  requested?: { requester: PersonAtTheTime; environment: string; at: string; seq: number; reason?: string };
  resources: { kind: string; id: string }[];
  plans: { digest: string; summary: NonNullable<AcceptedEvent['plan']>['summary']; artifactDigest?: string; at: string; seq: number }[];
  commitAuthors: string[];
  commits: { repo: string; sha: string }[];
  approvals: RecordedApproval[];
  rejections: RecordedRejection[];
  revocations: { by: string; seq: number }[];
  cancelled?: { by: string; at: string; reason: string; seq: number };
  breakGlass: { by: PersonAtTheTime; at: string; seq: number; reason: string }[];
  breakGlassReviews: { by: string; at: string; seq: number }[];
  deployments: { type: string; seq: number; artifactDigest?: string }[];
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
  deployments: [],
});

/** The event types that make up a change's approval story (the view keeps exactly these). */
export const CHANGE_EVENT_TYPES = new Set<string>([
  'change.requested',
  'change.cancelled',
  'plan.created',
  'approval.granted',
  'approval.rejected',
  'approval.revoked',
  'review.submitted',
  'breakglass.invoked',
  'breakglass.reviewed',
  'deployment.started',
  'deployment.succeeded',
  'deployment.failed',
  'deployment.partially_failed',
  'deployment.cancelled',
]);

const person = (e: AcceptedEvent): PersonAtTheTime => ({ id: e.actor.id, roles: [...e.actor.roles], teams: [...e.actor.teams] });
const currentPlan = (s: ChangeState) => s.plans.at(-1)?.digest;

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

/**
 * Folds one committed event into the change's state. Pure and total: events of other types are
 * ignored, so the fold of any sequence is defined. Facts are recorded as they were (the approver's groups
 * come from the approval event); what counts is decided later, by `decide`, against the policy.
 */
export function evolve(state: ChangeState, { seq, event: e }: ChangeEvent): ChangeState {
  let s: ChangeState = { ...state, changeId: state.changeId ?? e.changeId };
  switch (e.type) {
    case 'change.requested':
      s = withResource(withCommit(s, e), e);
      return s.requested ? s : { ...s, requested: { requester: person(e), environment: e.resource.environment, at: e.receivedAt, seq, ...(e.reason ? { reason: e.reason } : {}) } };
    case 'plan.created':
      if (!e.plan) return s;
      s = withResource(withCommit(s, e), e);
      return { ...s, plans: [...s.plans, { digest: e.plan.digest, summary: e.plan.summary, ...(e.artifact ? { artifactDigest: e.artifact.digest } : {}), at: e.receivedAt, seq }] };
    case 'approval.granted':
      return {
        ...s,
        approvals: [...s.approvals, { approver: person(e), planDigest: e.plan?.digest, at: e.receivedAt, seq, eventId: e.id, via: 'api', ...(e.reason ? { comment: e.reason } : {}) }],
      };
    case 'approval.rejected':
      return { ...s, rejections: [...s.rejections, { by: person(e), planDigest: e.plan?.digest, at: e.receivedAt, seq, reason: e.reason ?? '', via: 'api' }] };
    case 'approval.revoked':
      return { ...s, revocations: [...s.revocations, { by: e.actor.id, seq }] };
    case 'review.submitted': {
      // GitHub knows nothing of plans: a review binds to the plan in force when it was recorded, unless it names one.
      const planDigest = e.plan?.digest ?? currentPlan(s);
      if (e.outcome === 'allowed') {
        return { ...s, approvals: [...s.approvals, { approver: person(e), planDigest, at: e.receivedAt, seq, eventId: e.id, via: 'github' }] };
      }
      if (e.outcome === 'rejected') {
        return { ...s, rejections: [...s.rejections, { by: person(e), planDigest, at: e.receivedAt, seq, reason: e.reason ?? 'changes requested on GitHub', via: 'github' }] };
      }
      return s;
    }
    case 'change.cancelled':
      return s.cancelled ? s : { ...s, cancelled: { by: e.actor.id, at: e.receivedAt, reason: e.reason ?? '', seq } };
    case 'breakglass.invoked':
      return { ...s, breakGlass: [...s.breakGlass, { by: person(e), at: e.receivedAt, seq, reason: e.reason ?? '' }] };
    case 'breakglass.reviewed':
      return { ...s, breakGlassReviews: [...s.breakGlassReviews, { by: e.actor.id, at: e.receivedAt, seq }] };
    case 'deployment.started':
    case 'deployment.succeeded':
    case 'deployment.failed':
    case 'deployment.partially_failed':
    case 'deployment.cancelled':
      s = withCommit(s, e);
      return { ...s, deployments: [...s.deployments, { type: e.type, seq, ...(e.artifact ? { artifactDigest: e.artifact.digest } : {}) }] };
    default:
      return s;
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
