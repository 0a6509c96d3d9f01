/**
 * What an append failure means for the batch, pure. `transient`: the database (or the network to it)
 * is unwell; retry the batch, never dead-letter anything for it. `held`: the ledger must not go past
 * this batch and must not skip it (a position from another topic incarnation, an inconsistent head);
 * the partition waits for an operator. `record`: possibly one record's fault (it cannot be canonicalized,
 * Postgres refuses its data); the batch is split to find it, and only a record that fails on its own is
 * dead-lettered, so a misclassified environmental error costs a retry, not data.
 */
export type AppendErrorClass = 'transient' | 'held' | 'record';

/** The ledger refuses to append on top of this partition's state; nothing below or after it is skipped. */
export class LedgerHoldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerHoldError';
  }
}

/**
 * The batch starts above the stored position of an existing partition: the messages in between never
 * reached the ledger (the consumer's own offset was ahead — a recreated topic — or retention deleted them).
 */
export class PositionGapError extends LedgerHoldError {
  constructor(
    readonly stored: string,
    readonly from: string,
    message: string,
  ) {
    super(message);
    this.name = 'PositionGapError';
  }
}

const TRANSIENT_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
/** SQLSTATE classes that say nothing about the data: connection (08), concurrency (40), resources (53),
 * operator intervention (57), system (58), object in use/lock (55), access or schema mistakes (42, 28),
 * internal (XX), and a unique-key race (23505). Data exceptions (22) and other constraint violations are
 * the record's. */
const TRANSIENT_SQLSTATE_CLASSES = new Set(['08', '28', '40', '42', '53', '55', '57', '58', 'XX']);
const TRANSIENT_MESSAGES = [/connection terminated/i, /timeout exceeded when trying to connect/i, /connection error/i, /Connection refused/i, /the database system is (starting up|shutting down)/i];

export function classifyAppendError(error: unknown): AppendErrorClass {
  if (error instanceof LedgerHoldError) return 'held';
  if (typeof error !== 'object' || error === null) return 'record';
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (TRANSIENT_NODE_CODES.has(code)) return 'transient';
    if (code === '23505') return 'transient';
    if (/^[0-9A-Z]{5}$/.test(code)) return TRANSIENT_SQLSTATE_CLASSES.has(code.slice(0, 2)) ? 'transient' : 'record';
  }
  const message = error instanceof Error ? error.message : '';
  if (TRANSIENT_MESSAGES.some((m) => m.test(message))) return 'transient';
  // AggregateError from a pool that tried several addresses.
  if (error instanceof AggregateError && error.errors.some((e) => classifyAppendError(e) === 'transient')) return 'transient';
  return 'record';
}
