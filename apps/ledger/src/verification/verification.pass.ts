import type { Pool } from 'pg';
import { LedgerVerifier, type VerifierKey, type VerifierState, type VerifyFailure, type VerifyResult } from '@audit/ledger-core';
import { streamRecords } from '@audit/ledger-store';

/** Where the last good pass stopped: the verifier's state at a signed size, and the last checkpoint read. */
export interface ResumePoint extends VerifierState {
  readonly lastCheckpointId: number;
}

export interface PassResult {
  readonly result: VerifyResult;
  /** Where the next incremental pass starts; only when the pass found nothing wrong. */
  readonly next?: ResumePoint;
}

/**
 * One verification pass over a tenant's log: `from` undefined = a full pass from seq 1; otherwise only
 * the checkpoints stored since `from` and the rows up to the largest of them. A pass stops at a signed
 * size, so every row it covers is also checked against a signed root.
 */
export async function verifyPass(pool: Pool, tenant: string, trustedKeys: readonly VerifierKey[], origin: string | undefined, from: ResumePoint | undefined): Promise<PassResult> {
  const verifier = new LedgerVerifier({ tenant, trustedKeys, ...(origin ? { origin } : {}), ...(from ? { resume: from } : {}) });
  const { rows: checkpoints } = await pool.query<{ id: string; size: string; note: string }>(
    'SELECT id, size, note FROM ledger.checkpoints WHERE tenant = $1 AND id > $2 ORDER BY id',
    [tenant, from?.lastCheckpointId ?? 0],
  );
  const target = checkpoints.reduce((max, c) => Math.max(max, Number(c.size)), from?.size ?? 0);
  let next = 0;
  let pushed = from?.size ?? 0;
  const feedUpTo = (size: number) => {
    while (next < checkpoints.length && Number(checkpoints[next]!.size) <= size) give(checkpoints[next++]!.note);
  };
  let misordered: VerifyFailure | undefined;
  const give = (note: string) => {
    try {
      verifier.checkpoint(note);
    } catch (error) {
      // A checkpoint stored after one of a larger size, with no checkpoint before it to link to: a
      // reordered or forged checkpoint table, which the verifier can only refuse.
      misordered ??= { seq: pushed, problem: 'checkpoint-chain', detail: error instanceof Error ? error.message : String(error) };
    }
  };
  feedUpTo(pushed);
  for await (const row of streamRecords(pool, tenant, { fromSeq: pushed + 1, toSeq: target })) {
    feedUpTo(pushed + 1);
    verifier.push(row);
    pushed++;
  }
  while (next < checkpoints.length) give(checkpoints[next++]!.note);
  const verified = verifier.finish();
  const result = misordered && verified.ok ? { ...verified, ok: false, problems: verified.problems + 1, firstFailure: misordered } : verified;
  if (!result.ok) return { result };
  const lastCheckpointId = checkpoints.length > 0 ? Number(checkpoints[checkpoints.length - 1]!.id) : (from?.lastCheckpointId ?? 0);
  return { result, next: { ...verifier.state(), lastCheckpointId } };
}
