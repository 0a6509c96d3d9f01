import { auditRedaction, type LegalHoldWindow, type RecordedRetentionRun, type RedactedRow } from './redaction-audit';

const DAY = 86_400_000;
const RUN_AT = new Date('2026-06-01T00:00:00.000Z');
const NOW = new Date(RUN_AT.getTime() + 60 * DAY);
const row = (over: Partial<RedactedRow> = {}): RedactedRow => ({
  seq: 5,
  type: 'deployment.succeeded',
  changeId: 'CHG-1',
  recordedAt: new Date(RUN_AT.getTime() - 40 * DAY),
  redactedAt: RUN_AT,
  ...over,
});
const run = (over: Partial<RecordedRetentionRun> = {}): RecordedRetentionRun => ({
  eventSeq: 30,
  runAt: RUN_AT,
  firstSeq: 1,
  lastSeq: 20,
  policies: [{ eventType: '*', retainDays: 30 }],
  ...over,
});
const hold = (over: Partial<LegalHoldWindow> = {}): LegalHoldWindow => ({
  id: 'h1',
  changeId: null,
  actorId: null,
  from: null,
  to: null,
  createdAt: new Date(RUN_AT.getTime() - DAY),
  releasedAt: null,
  ...over,
});
const judge = (r: RedactedRow, runs: RecordedRetentionRun[], holds: LegalHoldWindow[] = [], graceMs = 0) => auditRedaction(r, runs, holds, { now: NOW, graceMs });

describe('auditRedaction', () => {
  it('accepts a redaction made by a recorded run at that time, in its seq range, past the policy of its type', () => {
    expect(judge(row(), [run()])).toMatchObject({ verdict: 'covered' });
    expect(judge(row({ type: 'audit.read', recordedAt: new Date(RUN_AT.getTime() - 10 * DAY) }), [run({ policies: [{ eventType: '*', retainDays: 30 }, { eventType: 'audit.read', retainDays: 7 }] })])).toMatchObject({ verdict: 'covered' });
  });

  it.each([
    ['no run at all', []],
    ['a run at another time', [run({ runAt: new Date(RUN_AT.getTime() + 1) })]],
    ['a run whose range ends before the row', [run({ lastSeq: 4 })]],
    ['a run that redacted nothing', [run({ firstSeq: null, lastSeq: null })]],
    ['a run whose policy for the type keeps it longer', [run({ policies: [{ eventType: '*', retainDays: 30 }, { eventType: 'deployment.succeeded', retainDays: 90 }] })]],
    ['a run with no policy for the type', [run({ policies: [{ eventType: 'audit.read', retainDays: 1 }] })]],
    ['a run recorded before the row', [run({ eventSeq: 3 })]],
  ])('fails a redaction covered by %s, naming its seq', (_name, runs) => {
    expect(judge(row(), runs)).toEqual({ verdict: 'failed', failure: { seq: 5, problem: 'redaction-unrecorded', detail: expect.stringContaining('no recorded retention run') } });
  });

  it('fails a redaction under an active hold even when a run claims it', () => {
    expect(judge(row(), [run()], [hold()])).toMatchObject({ verdict: 'failed', failure: { seq: 5, problem: 'redaction-under-hold', detail: expect.stringContaining('h1') } });
    expect(judge(row(), [], [hold({ changeId: 'CHG-1', from: new Date(0), to: RUN_AT })])).toMatchObject({ failure: { problem: 'redaction-under-hold' } });
  });

  it('ignores holds that did not cover the row at the time of the redaction', () => {
    for (const h of [
      hold({ createdAt: new Date(RUN_AT.getTime() + 1) }),
      hold({ releasedAt: RUN_AT }),
      hold({ changeId: 'CHG-2' }),
      hold({ from: new Date(RUN_AT.getTime() - 30 * DAY) }),
      hold({ to: new Date(RUN_AT.getTime() - 50 * DAY) }),
    ]) {
      expect(judge(row(), [run()], [h])).toMatchObject({ verdict: 'covered' });
    }
  });

  it('gives a fresh redaction time for its run to be recorded, but never one dated in the future', () => {
    const fresh = row({ redactedAt: new Date(NOW.getTime() - 1_000) });
    expect(judge(fresh, [], [], 60_000)).toEqual({ verdict: 'pending' });
    expect(judge(row({ redactedAt: new Date(NOW.getTime() - 61_000) }), [], [], 60_000)).toMatchObject({ verdict: 'failed' });
    expect(judge(row({ redactedAt: new Date(NOW.getTime() + 1_000) }), [], [], 60_000)).toMatchObject({ verdict: 'failed' });
  });

  it('gives grace to a redaction whose run the procedure logged moments ago, whatever time the run claims', () => {
    const future = row({ redactedAt: new Date(NOW.getTime() + 31 * DAY) });
    const logged = (loggedAt: Date, over: Partial<{ firstSeq: number; lastSeq: number }> = {}) => [{ runAt: future.redactedAt, firstSeq: 1, lastSeq: 20, loggedAt, ...over }];
    expect(auditRedaction(future, [], [], { now: NOW, graceMs: 60_000, loggedRuns: logged(new Date(NOW.getTime() - 1_000)) })).toEqual({ verdict: 'pending' });
    expect(auditRedaction(future, [], [], { now: NOW, graceMs: 60_000, loggedRuns: logged(new Date(NOW.getTime() - 61_000)) })).toMatchObject({ verdict: 'failed' });
    expect(auditRedaction(future, [], [], { now: NOW, graceMs: 60_000, loggedRuns: logged(new Date(NOW.getTime() + 1_000)) })).toMatchObject({ verdict: 'failed' });
    expect(auditRedaction(future, [], [], { now: NOW, graceMs: 60_000, loggedRuns: logged(new Date(NOW.getTime() - 1_000), { lastSeq: 4 }) })).toMatchObject({ verdict: 'failed' });
    // A hold is never given grace.
    expect(auditRedaction(future, [], [hold()], { now: NOW, graceMs: 60_000, loggedRuns: logged(new Date(NOW.getTime() - 1_000)) })).toMatchObject({ verdict: 'failed', failure: { problem: 'redaction-under-hold' } });
  });
});
