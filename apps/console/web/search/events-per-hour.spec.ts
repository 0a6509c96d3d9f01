import { eventsPerHour } from './events-per-hour';

const at = (occurredAt: string, type: string, outcome?: string) => ({ occurredAt, type, ...(outcome ? { outcome } : {}) });

describe('eventsPerHour', () => {
  it('buckets by UTC hour with empty hours in between', () => {
    const s = eventsPerHour([at('2026-01-01T10:05:00Z', 'a'), at('2026-01-01T10:59:59Z', 'b'), at('2026-01-01T12:00:00Z', 'a')], 'type');
    expect(s.buckets.map((b) => [b.hour, b.total])).toEqual([
      ['2026-01-01T10:00Z', 2],
      ['2026-01-01T11:00Z', 0],
      ['2026-01-01T12:00Z', 1],
    ]);
    expect(s.buckets[0]!.counts).toEqual({ a: 1, b: 1 });
    expect(s.keys).toEqual(['a', 'b']);
    expect(s.max).toBe(2);
  });

  it('counts a missing outcome as none and folds rare keys into other', () => {
    expect(eventsPerHour([at('2026-01-01T10:00:00Z', 'a')], 'outcome').keys).toEqual(['none']);
    const many = ['a', 'a', 'b', 'c', 'd', 'e', 'f', 'g'].map((t) => at('2026-01-01T10:00:00Z', t));
    const s = eventsPerHour(many, 'type');
    expect(s.keys).toEqual(['a', 'b', 'c', 'd', 'e', 'other']);
    expect(s.buckets[0]!.counts.other).toBe(2);
  });

  it('ignores events without a valid time and is empty for none', () => {
    expect(eventsPerHour([{ type: 'a' }, at('nope', 'a')], 'type')).toEqual({ buckets: [], keys: [], max: 0 });
  });
});
