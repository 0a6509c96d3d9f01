/**
 * The ledger record as it is hashed: the accepted event plus the server fields `seq` and
 * `recordedAt`, canonicalized with RFC 8785 and hashed as an RFC 6962 leaf.
 */
import { canonicalBytes } from './jcs';
import { hashLeaf } from './merkle';
import { isRfc3339Utc } from './time';

/**
 * One record as hashed: the accepted event (id, tenant, type, occurredAt, receivedAt, …) plus `seq`
 * (per tenant, from 1, gapless; leaf index = seq − 1) and `recordedAt`. It never holds the values
 * computed from it (`hash`, `prevHash`, `leafHash`).
 */
export interface LedgerEntry {
  readonly [field: string]: unknown;
  readonly tenant: string;
  readonly seq: number;
  readonly recordedAt: string;
}

/** Fields that are derived from the entry and therefore must not be part of it. */
export const DERIVED_FIELDS: readonly string[] = ['hash', 'prevHash', 'leafHash'];

/** The value is not a valid `LedgerEntry`. */
export class LedgerEntryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerEntryError';
  }
}

/** UTF-8 bytes of the RFC 8785 canonical JSON of `entry`: the Merkle leaf data. */
export function leafData(entry: LedgerEntry): Buffer {
  assertLedgerEntry(entry);
  return canonicalBytes(entry);
}

/** SHA-256(0x00 ‖ leafData(entry)). */
export function leafHashOf(entry: LedgerEntry): Buffer {
  return hashLeaf(leafData(entry));
}

/** The Merkle leaf index of the record with this `seq`. */
export function leafIndexOf(seq: number): number {
  if (!isSeq(seq)) {
    throw new RangeError(`seq ${String(seq)} is not an integer ≥ 1`);
  }
  return seq - 1;
}

export function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

/** @throws LedgerEntryError naming the first thing that makes `value` not a ledger entry. */
export function assertLedgerEntry(value: unknown): asserts value is LedgerEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LedgerEntryError('ledger entry must be a JSON object');
  }
  for (const field of DERIVED_FIELDS) {
    if (Object.prototype.hasOwnProperty.call(value, field)) {
      throw new LedgerEntryError(`ledger entry must not contain the derived field "${field}"`);
    }
  }
  const { tenant, seq, recordedAt } = value as Record<string, unknown>;
  if (typeof tenant !== 'string' || tenant.length === 0) {
    throw new LedgerEntryError('ledger entry tenant must be a non-empty string');
  }
  if (!isSeq(seq)) {
    throw new LedgerEntryError(`ledger entry seq ${String(seq)} is not an integer ≥ 1`);
  }
  if (typeof recordedAt !== 'string' || !isRfc3339Utc(recordedAt)) {
    throw new LedgerEntryError('ledger entry recordedAt must be an RFC 3339 UTC timestamp ending in Z');
  }
}
