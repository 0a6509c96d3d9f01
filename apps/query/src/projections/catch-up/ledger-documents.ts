import { CommittedRecord } from '@audit/contracts';
import { redactedDocument, toDocument, type EventDocument } from '../opensearch/event-index';

/** A ledger row as the catch-up reads it back (ledger.records). */
export interface LedgerRow {
  seq: number;
  eventId: string;
  type: string;
  changeId: string | null;
  canonical: string | null;
  recordedAt: Date;
  redactedAt: Date | null;
  leafHash: Buffer;
  hash: Buffer;
  prevHash: Buffer;
}

/**
 * The search document of a ledger row, as the live projector would have written it from the committed
 * record; a redacted row gives the redacted form (without `occurredAt`, which only the payload held).
 * Returns a reason instead when the stored entry does not parse as a committed record.
 */
export function documentFromLedgerRow(tenant: string, row: LedgerRow): { document: EventDocument; placedAt: string } | { invalid: string } {
  const committed = committedFromLedgerRow(tenant, row);
  if ('invalid' in committed) return committed;
  if ('record' in committed) return { document: toDocument(committed.record), placedAt: committed.record.event.occurredAt };
  const kept = { tenant, seq: row.seq, id: row.eventId, type: row.type, recordedAt: row.recordedAt.toISOString(), ...(row.changeId ? { changeId: row.changeId } : {}), ...hexHashes(row) };
  return { document: redactedDocument(kept, committed.redactedAt), placedAt: row.recordedAt.toISOString() };
}

/** The committed record the ledger announced for a row, as its outbox builds it; a redacted row has none. */
export function committedFromLedgerRow(tenant: string, row: LedgerRow): { record: CommittedRecord } | { redactedAt: Date } | { invalid: string } {
  if (row.canonical === null) return { redactedAt: row.redactedAt ?? row.recordedAt };
  const { seq, recordedAt, ...event } = JSON.parse(row.canonical) as Record<string, unknown>;
  const parsed = CommittedRecord.safeParse({ event, seq, recordedAt, ...hexHashes(row) });
  if (!parsed.success || parsed.data.seq !== row.seq || parsed.data.event.tenant !== tenant) return { invalid: `seq ${row.seq}: the stored entry is not a committed record of ${tenant}` };
  return { record: parsed.data };
}

const hexHashes = (row: LedgerRow) => ({ leafHash: row.leafHash.toString('hex'), hash: row.hash.toString('hex'), prevHash: row.prevHash.toString('hex') });
