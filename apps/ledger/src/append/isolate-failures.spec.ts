import { LedgerHoldError } from './append-errors';
import { appendIsolating } from './isolate-failures';

interface Rec {
  offset: string;
  bad?: boolean;
}

/** A fake ledger: a transaction fails (and writes nothing) if any record in it is bad. */
function ledger(failWith: (part: Rec[]) => unknown = (part) => (part.some((r) => r.bad) ? new TypeError('cannot canonicalize') : null)) {
  const written: string[] = [];
  const failures: { offset: string; next: string }[] = [];
  const positions: string[] = [];
  return {
    written,
    failures,
    positions,
    io: {
      append: async (part: Rec[], next: string) => {
        const error = failWith(part);
        if (error) throw error;
        written.push(...part.map((r) => r.offset));
        positions.push(next);
      },
      failed: async (r: Rec, _e: unknown, next: string) => {
        failures.push({ offset: r.offset, next });
        positions.push(next);
      },
    },
  };
}

const batch = (n: number, bad: number[] = []) => Array.from({ length: n }, (_, i) => ({ offset: String(10 + i), bad: bad.includes(10 + i) }));

describe('appendIsolating', () => {
  it('appends a good batch in one transaction', async () => {
    const l = ledger();
    await expect(appendIsolating(batch(5), '15', l.io)).resolves.toEqual({ failed: 0 });
    expect(l.written).toEqual(['10', '11', '12', '13', '14']);
    expect(l.positions).toEqual(['15']);
  });

  it('isolates each bad record and appends every other one, in order, positions rising', async () => {
    const l = ledger();
    await expect(appendIsolating(batch(9, [12, 17]), '20', l.io)).resolves.toEqual({ failed: 2 });
    expect(l.written).toEqual(['10', '11', '13', '14', '15', '16', '18']);
    expect(l.failures).toEqual([
      { offset: '12', next: '13' },
      { offset: '17', next: '18' },
    ]);
    const numeric = l.positions.map(Number);
    expect(numeric).toEqual([...numeric].sort((a, b) => a - b));
    // The last piece stores the batch's own end (which may lie past its last valid record).
    expect(l.positions.at(-1)).toBe('20');
  });

  it('isolates a batch that is one bad record', async () => {
    const l = ledger();
    await appendIsolating(batch(1, [10]), '11', l.io);
    expect(l.failures).toEqual([{ offset: '10', next: '11' }]);
    expect(l.written).toEqual([]);
  });

  it('never dead-letters for a transient error: it is thrown for the batch to be retried', async () => {
    const down = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const l = ledger(() => down);
    await expect(appendIsolating(batch(4), '14', l.io)).rejects.toBe(down);
    expect(l.failures).toEqual([]);
  });

  it('throws a transient error met while splitting, without dead-lettering the rest', async () => {
    let calls = 0;
    const down = Object.assign(new Error('db down'), { code: '57P01' });
    const l = ledger((part) => (++calls === 1 ? new TypeError('bad') : part.length > 0 ? down : null));
    await expect(appendIsolating(batch(4), '14', l.io)).rejects.toBe(down);
    expect(l.failures).toEqual([]);
  });

  it('throws a hold as it is', async () => {
    const hold = new LedgerHoldError('another incarnation');
    const l = ledger(() => hold);
    await expect(appendIsolating(batch(3), '13', l.io)).rejects.toBe(hold);
    expect(l.failures).toEqual([]);
  });
});
