import { UsageError } from '../command';
import { parseNow, parseTime } from '../commands/retention/ledger-events';
import { formatOperator, refuseBy } from './operator';

describe('operator identity', () => {
  it('names the database login and the OS account', () => {
    expect(formatOperator('retention_admin', { user: 'alice', host: 'ops-1' })).toBe('db:retention_admin,os:alice@ops-1');
  });
  it('refuses --by, whatever it says', () => {
    expect(() => refuseBy('ops@example.com')).toThrow(UsageError);
    expect(() => refuseBy(undefined)).not.toThrow();
  });
});

describe('parseNow', () => {
  const clock = () => new Date('2026-12-04T12:00:00Z');
  it('defaults to the clock and accepts the present or the past', () => {
    expect(parseNow(undefined, clock)).toEqual(clock());
    expect(parseNow('2026-12-04T12:00:00Z', clock)).toEqual(clock());
    expect(parseNow('2026-01-01T00:00:00+02:00', clock).toISOString()).toBe('2025-12-31T22:00:00.000Z');
  });
  it('refuses an instant ahead of the clock, by any amount', () => {
    expect(() => parseNow('2026-12-04T12:00:01Z', clock)).toThrow(/ahead of the clock/);
    expect(() => parseNow('2030-01-01T00:00:00Z', clock)).toThrow(UsageError);
  });
  it('refuses a time without a zone', () => {
    expect(() => parseNow('2026-12-04T12:00:00', clock)).toThrow(/RFC 3339/);
    expect(() => parseTime('tomorrow', '--to')).toThrow(/--to must be/);
  });
});
