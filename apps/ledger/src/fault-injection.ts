/**
 * Fault injection for the crash tests and the fault suite: when LEDGER_CRASH_POINTS names a point, the
 * process SIGKILLs itself there with probability LEDGER_CRASH_PROBABILITY. Off unless configured; the
 * points sit exactly where a crash is most dangerous (after the DB commit but before the Kafka offset
 * commit, after a Kafka publish but before the outbox delete).
 */
export type CrashPoint = 'before-db-commit' | 'after-db-commit' | 'after-outbox-publish';

const points = new Set((process.env.LEDGER_CRASH_POINTS ?? '').split(',').filter(Boolean));
const probability = Number(process.env.LEDGER_CRASH_PROBABILITY ?? '0');

export function maybeCrash(point: CrashPoint): void {
  if (points.has(point) && Math.random() < probability) process.kill(process.pid, 'SIGKILL');
}

/**
 * Test-only append faults, read at call time so a test can switch them on and off under a running
 * ledger. LEDGER_FAULT_REFUSE_REASON: an event whose `reason` equals it cannot be appended (a per-record
 * failure, like an event that cannot be canonicalized). LEDGER_FAULT_DB_DOWN=1: every append fails as if
 * Postgres were unreachable (a transient failure; nothing may be dead-lettered for it).
 */
export function maybeFailAppend(event: { reason?: string | undefined }): void {
  const refuse = process.env.LEDGER_FAULT_REFUSE_REASON;
  if (refuse && event.reason === refuse) throw new FaultInjectedError('fault injection: this record cannot be appended (LEDGER_FAULT_REFUSE_REASON)');
  if (process.env.LEDGER_FAULT_DB_DOWN === '1') throw Object.assign(new Error('fault injection: connect ECONNREFUSED (LEDGER_FAULT_DB_DOWN)'), { code: 'ECONNREFUSED' });
}

export class FaultInjectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultInjectedError';
  }
}
