import { decideRecording, type RecordingState, type VerificationOutcome } from './verification.decider';

const NOW = new Date('2026-12-04T12:00:00Z');
const facts = (over: Partial<{ grewSinceRecorded: boolean; now: Date }> = {}) => ({ now: NOW, grewSinceRecorded: true, successEveryMs: 300_000, ...over });
const ok = (mode: VerificationOutcome['mode'] = 'incremental'): VerificationOutcome => ({ mode, size: 10 });
const bad = (seq = 4, mode: VerificationOutcome['mode'] = 'full'): VerificationOutcome => ({ mode, size: 10, failure: { seq, problem: 'leaf-hash-mismatch', detail: 'x' } });
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);

describe('decideRecording', () => {
  it('records a failure once, and a different failure again', () => {
    const first = decideRecording({ status: 'ok' }, bad(4), facts());
    expect(first).toEqual({ status: 'failed', record: 'failed', failureKey: 'leaf-hash-mismatch@4' });
    const again = decideRecording({ status: 'failed', failureKey: first.failureKey! }, bad(4), facts());
    expect(again).toEqual({ status: 'failed', failureKey: 'leaf-hash-mismatch@4' });
    expect(decideRecording({ status: 'failed', failureKey: first.failureKey! }, bad(7), facts())).toMatchObject({ record: 'failed', failureKey: 'leaf-hash-mismatch@7' });
  });

  it('records a success only when the log grew and the last recorded one is old enough', () => {
    const state: RecordingState = { status: 'ok', successRecordedAt: minutesAgo(1) };
    expect(decideRecording(state, ok(), facts())).toEqual({ status: 'ok' });
    expect(decideRecording({ ...state, successRecordedAt: minutesAgo(6) }, ok(), facts({ grewSinceRecorded: false }))).toEqual({ status: 'ok' });
    expect(decideRecording({ ...state, successRecordedAt: minutesAgo(6) }, ok(), facts())).toEqual({ status: 'ok', record: 'succeeded' });
    expect(decideRecording({ status: 'unknown' }, ok(), facts())).toEqual({ status: 'ok', record: 'succeeded' });
    expect(decideRecording({ status: 'unknown' }, { mode: 'full', size: 0 }, facts())).toEqual({ status: 'ok' });
  });

  it('keeps a failure until a full pass succeeds, then records the recovery at once', () => {
    const failed: RecordingState = { status: 'failed', failureKey: 'leaf-hash-mismatch@4', successRecordedAt: minutesAgo(1) };
    expect(decideRecording(failed, ok('incremental'), facts())).toEqual({ status: 'failed', failureKey: 'leaf-hash-mismatch@4' });
    expect(decideRecording(failed, ok('full'), facts())).toEqual({ status: 'ok', record: 'succeeded' });
  });
});
