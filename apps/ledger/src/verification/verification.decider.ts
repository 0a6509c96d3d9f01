import type { VerifyFailure } from '@audit/ledger-core';

export type VerificationMode = 'incremental' | 'full';

/** What one pass over a tenant's log found. */
export interface VerificationOutcome {
  readonly mode: VerificationMode;
  /** Rows verified, 1..size (a pass stops at the last signed checkpoint). */
  readonly size: number;
  readonly failure?: VerifyFailure;
}

/** What was recorded in the tenant's ledger so far, and the status it left. */
export interface RecordingState {
  readonly status: 'ok' | 'failed' | 'unknown';
  /** Identity of the failure last recorded (problem and seq), so it is recorded once. */
  readonly failureKey?: string;
  readonly successRecordedAt?: Date;
}

export interface RecordingFacts {
  readonly now: Date;
  /** Records other than the verifier's own were appended since the last recorded success. */
  readonly grewSinceRecorded: boolean;
  readonly successEveryMs: number;
}

export interface RecordingDecision {
  readonly status: 'ok' | 'failed';
  /** The event to append to the tenant's log, if any. */
  readonly record?: 'succeeded' | 'failed';
  readonly failureKey?: string;
}

export const failureKey = (f: VerifyFailure): string => `${f.problem}@${f.seq}`;

/**
 * Decides what a verification outcome changes and what it records, without flooding the ledger: each
 * distinct failure once; a success only when the log grew since the last recorded one and at most every
 * `successEveryMs`, except right after a failure clears. A failure found by a full pass stands until a
 * full pass succeeds: an incremental pass only sees what was appended since, not the old bad row.
 */
export function decideRecording(state: RecordingState, outcome: VerificationOutcome, facts: RecordingFacts): RecordingDecision {
  if (outcome.failure) {
    const key = failureKey(outcome.failure);
    if (state.status === 'failed' && state.failureKey === key) return { status: 'failed', failureKey: key };
    return { status: 'failed', record: 'failed', failureKey: key };
  }
  if (state.status === 'failed') {
    if (outcome.mode === 'incremental') return { status: 'failed', ...(state.failureKey ? { failureKey: state.failureKey } : {}) };
    return { status: 'ok', record: 'succeeded' };
  }
  const due = state.successRecordedAt === undefined || facts.now.getTime() - state.successRecordedAt.getTime() >= facts.successEveryMs;
  if (outcome.size > 0 && facts.grewSinceRecorded && due) return { status: 'ok', record: 'succeeded' };
  return { status: 'ok' };
}
