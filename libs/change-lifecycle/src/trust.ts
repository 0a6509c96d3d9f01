import type { AcceptedEvent, Provenance } from '@audit/contracts';

/** Scope an approval system's API key must carry for its `approval.granted` to count. */
export const APPROVALS_SCOPE = 'approvals';
/** The door through which the approvals API (approval-policy) records a verified user's decision. */
export const APPROVALS_API_VIA = 'approvals-api';
/** Our service whose `gate.decided` records the story trusts. */
export const GATE_SERVICE = 'approval-policy';

/**
 * Where an approval claim came from, as far as counting goes:
 * - `approvals-api`: a verified user token through the approvals API; roles and groups from the token.
 * - `approval-system`: an API key with the explicit `approvals` scope; it vouches for the actor it names.
 * - `github`: a verified GitHub review (signed webhook); counts only where the rule accepts GitHub reviews.
 * - `untrusted`: anything else. Kept as evidence of an attempt, never counted.
 */
export type ApprovalSource =
  | { kind: 'approvals-api' }
  | { kind: 'approval-system' }
  | { kind: 'github' }
  | { kind: 'untrusted'; reason: string };

/** "key k_1", "user token https://idp|alice via http", …: who asserted a record, for people to read. */
export function assertedBy(p: Provenance | undefined): string {
  if (!p) return 'an unknown source (recorded without provenance)';
  const via = p.via ? ` via ${p.via}` : '';
  switch (p.kind) {
    case 'api_key':
      return `key ${p.id}${via}`;
    case 'user_token':
      return `user token ${p.id}${via}`;
    case 'workload_token':
      return `workload token ${p.id}${via}`;
    case 'webhook':
      return `webhook ${p.id}${via}`;
    case 'intake':
      return `intake topic ${p.id}`;
    case 'service':
      return `service ${p.id}`;
  }
}

/** Classifies an `approval.granted`/`approval.rejected` claim by its provenance (never by its body). */
export function approvalSource(e: AcceptedEvent): ApprovalSource {
  const p = e.provenance;
  if (!p) return { kind: 'untrusted', reason: 'it carries no provenance, so nobody vouches for who asserted it' };
  if (p.kind === 'user_token' && p.via === APPROVALS_API_VIA) return { kind: 'approvals-api' };
  if (p.kind === 'api_key' && p.scopes.includes(APPROVALS_SCOPE)) return { kind: 'approval-system' };
  if (p.kind === 'webhook' && p.via === 'github') return { kind: 'github' };
  if (p.kind === 'api_key') return { kind: 'untrusted', reason: `the key has no "${APPROVALS_SCOPE}" scope` };
  if (p.kind === 'user_token') return { kind: 'untrusted', reason: 'a user token counts only through the approvals API' };
  return { kind: 'untrusted', reason: `a ${p.kind.replace('_', ' ')} is not an approval source` };
}

/** `review.submitted` counts only as a verified GitHub review. */
export function reviewSource(e: AcceptedEvent): ApprovalSource {
  const p = e.provenance;
  if (p?.kind === 'webhook' && p.via === 'github') return { kind: 'github' };
  return { kind: 'untrusted', reason: p ? 'a review counts only from a verified GitHub webhook' : 'it carries no provenance, so nobody vouches for who asserted it' };
}

/**
 * Who approved and in which roles/groups, as the trusted source says: the token's subject and its verified
 * roles and groups for the approvals API (the body's actor may claim anything), the body for sources that
 * vouch for the actor they name.
 */
export function approverOf(e: AcceptedEvent, source: ApprovalSource): { id: string; roles: string[]; teams: string[] } {
  const p = e.provenance;
  if (source.kind === 'approvals-api' && p) return { id: p.subject ?? e.actor.id, roles: [...(p.roles ?? [])], teams: [...(p.groups ?? [])] };
  return { id: e.actor.id, roles: [...e.actor.roles], teams: [...e.actor.teams] };
}

/** A `gate.decided` counts for the story only when our gate service recorded it. */
export const isTrustedGateRecord = (e: AcceptedEvent): boolean => e.provenance?.kind === 'service' && e.provenance.id === GATE_SERVICE;
