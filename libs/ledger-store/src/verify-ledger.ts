import type { Pool } from 'pg';
import { LedgerVerifier, type VerifierKey, type VerifyResult } from '@audit/ledger-core';
import { listCheckpoints, streamRecords } from './read-ledger';

/**
 * Verifies one tenant's stored ledger end to end: every leaf recomputed from the stored canonical JSON,
 * every chain link, seq contiguity, every checkpoint's signature, its root at its size, and the chain of
 * checkpoints. Streams the records; checkpoints (small) are read up front and fed in size order.
 */
export async function verifyTenantLedger(pool: Pool, tenant: string, trustedKeys: readonly VerifierKey[], options: { origin?: string } = {}): Promise<VerifyResult> {
  const verifier = new LedgerVerifier({ tenant, trustedKeys, ...(options.origin ? { origin: options.origin } : {}) });
  const checkpoints = await listCheckpoints(pool, tenant);
  let next = 0;
  const feedUpTo = (size: number) => {
    while (next < checkpoints.length && (checkpoints[next]?.size ?? Infinity) <= size) {
      verifier.checkpoint(checkpoints[next]!.note);
      next++;
    }
  };
  feedUpTo(0);
  let pushed = 0;
  for await (const row of streamRecords(pool, tenant)) {
    // Checkpoints are given before the stream passes their size.
    feedUpTo(pushed + 1);
    verifier.push(row);
    pushed++;
  }
  while (next < checkpoints.length) verifier.checkpoint(checkpoints[next++]!.note);
  return verifier.finish();
}
