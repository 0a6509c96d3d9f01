import { AcceptedEvent, serviceProvenance, uuidv7 } from '@audit/contracts';
import type { VerifyFailure } from '@audit/ledger-core';
import type { VerificationMode } from './verification.decider';

/** Who asserts a verification result: the ledger itself, over its service credential (DESIGN "Trust model"). */
export const VERIFIER_PROVENANCE = serviceProvenance('ledger', 'ledger-verifier');

export interface VerificationFacts {
  readonly tenant: string;
  readonly mode: VerificationMode;
  readonly treeSize: number;
  readonly rootHash: Buffer;
  readonly checkpointedSize: number;
  readonly redactedRows: number;
  readonly failure?: VerifyFailure;
}

/** A failure's one-line reason, naming the first bad seq (what the alert and the console show). */
export const failureReason = (f: VerifyFailure): string => `first bad seq ${f.seq}: ${f.problem}: ${f.detail}`.slice(0, 4096);

/**
 * The `ledger.verified` event of one pass, stamped as an accepted event (like approval-policy's internal
 * emitter) so the ledger commits it into the tenant's own log. `outcome` failed is what the built-in
 * `builtin.ledger-verification-failed` rule fires on.
 */
export function verificationEvent(facts: VerificationFacts, now: Date): AcceptedEvent {
  const at = now.toISOString();
  const f = facts.failure;
  return AcceptedEvent.parse({
    version: 1,
    type: 'ledger.verified',
    occurredAt: at,
    actor: { id: 'ledger-verifier', type: 'service', roles: [], teams: [] },
    resource: { kind: 'audit-ledger', id: `ledger/${facts.tenant}`, environment: 'audit' },
    source: { system: 'ledger' },
    outcome: f ? 'failed' : 'succeeded',
    ...(f ? { reason: failureReason(f) } : {}),
    details: {
      mode: facts.mode,
      treeSize: facts.treeSize,
      rootHash: facts.rootHash.toString('base64'),
      checkpointedSize: facts.checkpointedSize,
      redactedRows: facts.redactedRows,
      ...(f ? { firstBadSeq: f.seq, problem: f.problem, detail: f.detail.slice(0, 1024) } : {}),
    },
    tenant: facts.tenant,
    id: uuidv7(now),
    receivedAt: at,
    provenance: VERIFIER_PROVENANCE,
  });
}
