import { AcceptedEvent, AuditEventInput } from './audit-event';
import { committableIssues, COMMITTABLE_LIMITS } from './committable';
import { toFieldIssues } from './issues';
import { DEFAULT_OCCURRED_AT_BOUNDS, occurredAtProblem, TIME_BOUNDS } from './time-bounds';

const input = {
  type: 'change.requested',
  occurredAt: '2026-11-25T10:00:00Z',
  actor: { id: 'alice', type: 'user' },
  resource: { kind: 'aws_db_instance', id: 'payments-db', environment: 'prod' },
  changeId: 'CHG-1',
};
const accepted = { ...input, tenant: 'acme', id: '01937a4e-8f2b-7c3d-9e4f-0123456789ab', receivedAt: '2026-11-25T10:00:01Z' };

const nested = (depth: number): Record<string, unknown> => {
  let v: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};

// Both schemas, so internal emitters (which build AcceptedEvent in code), the intake topic and the
// ledger's consumer refuse what HTTP refuses, without relying on the strict decoder.
describe.each([
  ['AuditEventInput', AuditEventInput, input],
  ['AcceptedEvent', AcceptedEvent, accepted],
] as const)('%s refuses what the ledger cannot commit', (_name, schema, base) => {
  const issues = (event: unknown) => {
    const r = schema.safeParse(event);
    return r.success ? [] : toFieldIssues(r.error);
  };

  it('accepts the valid base event', () => expect(issues(base)).toEqual([]));

  it.each([
    ['reason', { reason: 'a \ud800 b' }, 'reason'],
    ['actor.displayName', { actor: { ...input.actor, displayName: '\udc00' } }, 'actor.displayName'],
    ['a details value', { details: { list: ['ok', '\ud83d'] } }, 'details.list.1'],
    ['a details key', { details: { inner: { '\ud800': 1 } } }, 'details.inner'],
  ])('a lone surrogate in %s, naming the path', (_where, patch, path) => {
    expect(issues({ ...base, ...patch })).toEqual(expect.arrayContaining([{ path, message: expect.stringMatching(/well-formed Unicode: lone UTF-16 surrogate/) as unknown }]));
  });

  it.each([
    [2 ** 53, /2\^53/],
    [-(2 ** 53) - 2, /2\^53/],
    [1e300, /2\^53/],
    [Infinity, /finite/],
    [NaN, /finite/],
  ])('the number %d in details', (n, message) => {
    expect(issues({ ...base, details: { n } })).toEqual(expect.arrayContaining([{ path: 'details.n', message: expect.stringMatching(message) as unknown }]));
  });

  it.each([5_000, 100_000])('details nested %d deep: a 422-able issue, not a RangeError', (depth) => {
    const found = issues({ ...base, details: nested(depth) });
    expect(found).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'details', message: expect.stringMatching(/nest at most 8 levels/) as unknown })]));
    expect(found.some((i) => /nests deeper than 16 levels/.test(i.message))).toBe(true);
  });

  it('occurredAt before the Unix epoch (year 1: Go’s zero time)', () => {
    expect(issues({ ...base, occurredAt: '0001-01-01T00:00:00Z' })).toEqual([{ path: 'occurredAt', message: `must not be before ${TIME_BOUNDS.floor}` }]);
    expect(issues({ ...base, occurredAt: '1970-01-01T00:00:00Z' })).toEqual([]);
  });
});

describe('committableIssues', () => {
  it('walks 1 000 000 levels without recursion and stops at the depth bound', () => {
    let v: unknown = 1;
    for (let i = 0; i < 1_000_000; i++) v = [v];
    expect(committableIssues(v)).toEqual([{ path: Array<number>(COMMITTABLE_LIMITS.maxDepth).fill(0), message: 'nests deeper than 16 levels' }]);
  });
  it('reports at most maxIssues problems', () => {
    expect(committableIssues(Array<string>(1000).fill('\ud800'))).toHaveLength(COMMITTABLE_LIMITS.maxIssues);
  });
  it('accepts well-formed strings (pairs included), safe numbers and -0', () => {
    expect(committableIssues({ s: '🚀 é', n: [Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 0.1, -0], b: true, z: null })).toEqual([]);
  });
});

describe('occurredAtProblem', () => {
  const now = new Date('2026-11-25T10:00:00Z');
  it('refuses what is before the configured earliest time, by default 2000-01-01', () => {
    expect(occurredAtProblem('1999-12-31T23:59:59Z', now)).toBe('must not be before 2000-01-01T00:00:00.000Z (the earliest occurredAt accepted)');
    expect(occurredAtProblem('1970-01-01T00:00:00Z', now)).toMatch(/must not be before/);
    expect(occurredAtProblem('2000-01-01T00:00:00Z', now)).toBeUndefined();
    expect(occurredAtProblem('2010-01-01T00:00:00Z', now, { ...DEFAULT_OCCURRED_AT_BOUNDS, earliest: new Date('2020-01-01T00:00:00Z') })).toMatch(/before 2020-01-01/);
  });
  it('refuses more than the skew in the future', () => {
    expect(occurredAtProblem('2026-11-25T10:05:00Z', now)).toBeUndefined();
    expect(occurredAtProblem('2026-11-25T10:05:01Z', now)).toBe('must not be more than 5 minutes in the future');
  });
});
