import { z } from 'zod';
import type { CommittedRecord } from '@audit/contracts';

/**
 * Reads from the ledger which of a tenant's seqs in [fromSeq, toSeq] are redacted, and since when. The
 * ledger is the truth: a `retention.applied` record only says where to look, so a forged one can make
 * a projection re-read, never forget something the ledger still holds.
 */
export type RedactionsReader = (tenant: string, fromSeq: number, toSeq: number) => Promise<{ seq: number; redactedAt: Date }[]>;

const RetentionDetails = z.object({ firstRedactedSeq: z.number().int().positive(), lastRedactedSeq: z.number().int().positive() });

/** The seq range a committed `retention.applied` record says its run redacted; undefined for anything else. */
export function retentionRange(record: CommittedRecord): { firstSeq: number; lastSeq: number } | undefined {
  if (record.event.type !== 'retention.applied') return undefined;
  const parsed = RetentionDetails.safeParse(record.event.details ?? {});
  if (!parsed.success || parsed.data.firstRedactedSeq > parsed.data.lastRedactedSeq || parsed.data.lastRedactedSeq >= record.seq) return undefined;
  return { firstSeq: parsed.data.firstRedactedSeq, lastSeq: parsed.data.lastRedactedSeq };
}
