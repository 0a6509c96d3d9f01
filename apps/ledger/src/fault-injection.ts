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
