/**
 * Cross-checks redactions against what the ledger itself recorded. A payload may only be removed by the
 * retention procedure, whose every run is recorded as a `retention.applied` event naming its time, the
 * seq range it redacted and the policies it applied; and never while a legal hold covered the record.
 * A row redacted any other way (the append-only triggers switched off by hand, `SET LOCAL
 * ledger.retention = 'on'`) verifies through its stored leaf hash, so only this check catches it.
 */
import type { VerifyFailure } from './verifier';

/** What is left of a redacted row: the columns outside the hashed payload. */
export interface RedactedRow {
  readonly seq: number;
  readonly type: string;
  readonly changeId: string | null;
  readonly recordedAt: Date;
  readonly redactedAt: Date;
}

/** A retention run as its `retention.applied` event recorded it. */
export interface RecordedRetentionRun {
  /** Seq of the `retention.applied` event. */
  readonly eventSeq: number;
  readonly runAt: Date;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  /** The policies the run applied; absent in runs recorded before they were. */
  readonly policies?: readonly { readonly eventType: string; readonly retainDays: number }[];
}

export interface LegalHoldWindow {
  readonly id: string;
  readonly changeId: string | null;
  readonly actorId: string | null;
  readonly from: Date | null;
  readonly to: Date | null;
  readonly createdAt: Date;
  readonly releasedAt: Date | null;
}

/** A run as the retention procedure logged it in the database, before (or without) its ledger event. */
export interface LoggedRetentionRun {
  readonly runAt: Date;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  /** When the procedure logged it (the database's clock). */
  readonly loggedAt: Date;
}

export type RedactionVerdict =
  | { readonly verdict: 'covered'; readonly run: RecordedRetentionRun }
  /** Redacted moments ago: its run's event may still be on its way into the ledger. */
  | { readonly verdict: 'pending' }
  | { readonly verdict: 'failed'; readonly failure: VerifyFailure };

const DAY_MS = 86_400_000;

/**
 * Judges one redacted row. `graceMs`: how long a redaction may wait for its run's event (the run is
 * recorded right after it redacts); a hold is never given grace, since no run redacts held records.
 */
export function auditRedaction(
  row: RedactedRow,
  runs: readonly RecordedRetentionRun[],
  holds: readonly LegalHoldWindow[],
  options: { now: Date; graceMs: number; loggedRuns?: readonly LoggedRetentionRun[] },
): RedactionVerdict {
  const hold = holds.find((h) => holdCovered(h, row));
  if (hold) {
    return fail(row, 'redaction-under-hold', `payload redacted at ${row.redactedAt.toISOString()} while legal hold ${hold.id} covered it`);
  }
  const run = runs.find((r) => runCovers(r, row));
  if (run) return { verdict: 'covered', run };
  // A time in the future is never "recent": it would buy an edit unlimited grace.
  const recent = (at: Date) => {
    const age = options.now.getTime() - at.getTime();
    return age >= 0 && age < options.graceMs;
  };
  if (recent(row.redactedAt)) return { verdict: 'pending' };
  // A run logged moments ago (its `--now` may be any time) whose event is still on its way.
  const logged = options.loggedRuns?.find((r) => r.runAt.getTime() === row.redactedAt.getTime() && r.firstSeq !== null && r.lastSeq !== null && row.seq >= r.firstSeq && row.seq <= r.lastSeq);
  if (logged && recent(logged.loggedAt)) return { verdict: 'pending' };
  return fail(row, 'redaction-unrecorded', `payload redacted at ${row.redactedAt.toISOString()} by no recorded retention run covering its type ${row.type} and age`);
}

/** A hold covered the row when it was active at the redaction and its scopes match what the row still shows. */
function holdCovered(hold: LegalHoldWindow, row: RedactedRow): boolean {
  const at = row.redactedAt.getTime();
  const active = hold.createdAt.getTime() <= at && (hold.releasedAt === null || hold.releasedAt.getTime() > at);
  // An actor-scoped hold cannot be matched once the payload (where the actor is) is gone: not judged here.
  if (!active || hold.actorId !== null) return false;
  if (hold.changeId !== null && hold.changeId !== row.changeId) return false;
  if (hold.from !== null && row.recordedAt.getTime() < hold.from.getTime()) return false;
  if (hold.to !== null && row.recordedAt.getTime() >= hold.to.getTime()) return false;
  return true;
}

function runCovers(run: RecordedRetentionRun, row: RedactedRow): boolean {
  if (run.runAt.getTime() !== row.redactedAt.getTime()) return false;
  if (run.firstSeq === null || run.lastSeq === null || row.seq < run.firstSeq || row.seq > run.lastSeq) return false;
  // The run is recorded after what it redacted; a "run" recorded before the row existed covers nothing.
  if (run.eventSeq <= row.seq) return false;
  if (run.policies === undefined) return true;
  const policy = run.policies.find((p) => p.eventType === row.type) ?? run.policies.find((p) => p.eventType === '*');
  return policy !== undefined && row.recordedAt.getTime() < run.runAt.getTime() - policy.retainDays * DAY_MS;
}

function fail(row: RedactedRow, problem: 'redaction-unrecorded' | 'redaction-under-hold', detail: string): RedactionVerdict {
  return { verdict: 'failed', failure: { seq: row.seq, problem, detail } };
}
