import type { AcceptedEvent } from '@audit/contracts';
import { canonicalize, chainHash, hashLeaf, MerkleFrontier, type LedgerEntry } from '@audit/ledger-core';

/** A tenant's position in its log: the last seq, its chain hash, and the Merkle frontier after it. */
export interface TenantHead {
  seq: number;
  hash: Buffer;
  frontier: MerkleFrontier;
}

export interface PlannedRecord {
  tenant: string;
  seq: number;
  eventId: string;
  type: string;
  changeId: string | null;
  /** The exact bytes hashed (RFC 8785 canonical JSON of the entry), stored as they are. */
  canonical: string;
  leafHash: Buffer;
  hash: Buffer;
  prevHash: Buffer;
  recordedAt: string;
}

/**
 * Pure core of the writer: appends a tenant's new events to its head, in order. Each entry is the
 * accepted event plus `seq` and `recordedAt`; its leaf hash is SHA-256(0x00 ‖ JCS(entry)) and its chain
 * hash links it to the previous record. Events already in the log (by id) must be filtered out before.
 */
export function planAppend(head: TenantHead, events: readonly AcceptedEvent[], recordedAt: Date): { records: PlannedRecord[]; head: TenantHead } {
  const frontier = head.frontier.clone();
  let seq = head.seq;
  let prevHash = head.hash;
  const at = recordedAt.toISOString();
  const records = events.map((event) => {
    seq += 1;
    const entry: LedgerEntry = { ...event, seq, recordedAt: at };
    const canonical = canonicalize(entry);
    const leafHash = hashLeaf(Buffer.from(canonical, 'utf8'));
    const hash = chainHash(prevHash, leafHash, seq);
    frontier.append(leafHash);
    const record: PlannedRecord = {
      tenant: event.tenant,
      seq,
      eventId: event.id,
      type: event.type,
      changeId: event.changeId ?? null,
      canonical,
      leafHash,
      hash,
      prevHash,
      recordedAt: at,
    };
    prevHash = hash;
    return record;
  });
  return { records, head: { seq, hash: prevHash, frontier } };
}

/** Drops repeated event ids, keeping the first: a producer retry must never become a second record. */
export function uniqueById<T extends { id: string }>(events: readonly T[], alreadyStored: ReadonlySet<string>): T[] {
  const seen = new Set(alreadyStored);
  return events.filter((e) => {
    if (seen.has(e.id)) return false;
    seen.add(e.id);
    return true;
  });
}
