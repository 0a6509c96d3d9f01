import { QUERY_LIMITS, type QueryNode } from './ast';
import { parseDate, parseQuery } from './parser';

function ast(q: string): QueryNode | null {
  const r = parseQuery(q);
  if (!r.ok) throw new Error(`unexpected error ${JSON.stringify(r.error)}`);
  return r.ast;
}
function error(q: string) {
  const r = parseQuery(q);
  if (r.ok) throw new Error(`expected a syntax error for ${q}, got ${JSON.stringify(r.ast)}`);
  return r.error;
}

describe('parseQuery', () => {
  it('parses an empty query to no constraint', () => {
    expect(ast('')).toBeNull();
    expect(ast('   ')).toBeNull();
  });

  it('parses the example of the issue into an implicit AND of checked clauses', () => {
    expect(ast('actor:alice type:deployment.* env:prod resource:db-* outcome:failed after:2026-01-01 before:2026-02-01T10:00:00+01:00 "free text"')).toEqual({
      kind: 'and',
      children: [
        { kind: 'term', field: 'actor.id', value: 'alice' },
        { kind: 'wildcard', field: 'type', pattern: 'deployment.*' },
        { kind: 'term', field: 'resource.environment', value: 'prod' },
        { kind: 'wildcard', field: 'resource.id', pattern: 'db-*' },
        { kind: 'term', field: 'outcome', value: 'failed' },
        { kind: 'range', bound: 'after', at: '2026-01-01T00:00:00.000Z' },
        { kind: 'range', bound: 'before', at: '2026-02-01T09:00:00.000Z' },
        { kind: 'text', text: 'free text', phrase: true },
      ],
    });
  });

  it('gives AND precedence over OR, and parentheses override it', () => {
    expect(ast('actor:a actor:b OR actor:c')).toEqual({
      kind: 'or',
      children: [
        { kind: 'and', children: [{ kind: 'term', field: 'actor.id', value: 'a' }, { kind: 'term', field: 'actor.id', value: 'b' }] },
        { kind: 'term', field: 'actor.id', value: 'c' },
      ],
    });
    expect(ast('actor:a (actor:b OR actor:c)')).toEqual({
      kind: 'and',
      children: [
        { kind: 'term', field: 'actor.id', value: 'a' },
        { kind: 'or', children: [{ kind: 'term', field: 'actor.id', value: 'b' }, { kind: 'term', field: 'actor.id', value: 'c' }] },
      ],
    });
    expect(ast('actor:a AND actor:b')).toEqual(ast('actor:a actor:b'));
  });

  it('negates a term, a phrase or a group with a leading "-"', () => {
    expect(ast('-env:prod')).toEqual({ kind: 'not', child: { kind: 'term', field: 'resource.environment', value: 'prod' } });
    expect(ast('-(type:a OR type:b)')).toEqual({
      kind: 'not',
      child: { kind: 'or', children: [{ kind: 'term', field: 'type', value: 'a' }, { kind: 'term', field: 'type', value: 'b' }] },
    });
    expect(ast('-"rolled back"')).toEqual({ kind: 'not', child: { kind: 'text', text: 'rolled back', phrase: true } });
  });

  it('keeps a dash inside a word or value literal, and reads lowercase or/and as words', () => {
    expect(ast('resource:payments-db')).toEqual({ kind: 'term', field: 'resource.id', value: 'payments-db' });
    expect(ast('this or that')).toEqual({
      kind: 'and',
      children: ['this', 'or', 'that'].map((text) => ({ kind: 'text', text, phrase: false })),
    });
  });

  it('takes quoted values literally, including "*", and unescapes \\" and \\\\', () => {
    expect(ast('actor:"Alice Smith*"')).toEqual({ kind: 'term', field: 'actor.id', value: 'Alice Smith*' });
    expect(ast('"say \\"hi\\" \\\\ bye"')).toEqual({ kind: 'text', text: 'say "hi" \\ bye', phrase: true });
  });

  it('accepts field names case-insensitively and the long aliases', () => {
    expect(ast('ENV:prod')).toEqual(ast('environment:prod'));
    expect(ast('change:CHG-1 artifact:sha256:ab team:sre role:admin kind:k8s source:github id:x')).toMatchObject({ kind: 'and' });
  });

  it('keeps colons inside a value (timestamps, digests)', () => {
    expect(ast('artifact:sha256:abc')).toEqual({ kind: 'term', field: 'artifact.digest', value: 'sha256:abc' });
    expect(ast('after:2026-01-31T23:59:59Z')).toEqual({ kind: 'range', bound: 'after', at: '2026-01-31T23:59:59.000Z' });
  });

  describe('errors carry the position and what was expected', () => {
    it.each([
      ['actor:', 6, /needs a value/, 'a value'],
      ['(actor:a', 8, /unclosed/, ')'],
      ['actor:a)', 7, /unbalanced/, 'end of query'],
      ['"open', 5, /unterminated quote/, '"'],
      ['OR actor:a', 0, /needs a term before it/, 'field:value'],
      ['actor:a OR', 10, /ends where a term was expected/, 'field:value'],
      ['- actor:a', 1, /followed directly/, 'field:value'],
      ['()', 1, /empty parentheses/, 'field:value'],
      ['""', 0, /empty phrase/, 'a non-empty "phrase"'],
      ['nope:x', 0, /unknown field "nope"/, 'actor'],
      ['env:prod tenant:other', 9, /tenant comes from your token/, 'actor'],
      ['after:2026-02-30', 6, /not a date/, 'YYYY-MM-DD'],
      ['before:yesterday', 7, /not a date/, 'YYYY-MM-DD'],
      ['after:2026-13-01T00:00:00Z', 6, /not a date/, 'YYYY-MM-DD'],
      ['after:2026-01-01T00:00:00', 6, /not a date/, 'YYYY-MM-DD'],
    ])('%s → position %i', (q, position, message, expected) => {
      const e = error(q);
      expect(e.position).toBe(position);
      expect(e.message).toMatch(message);
      expect(e.expected).toContain(expected);
    });
  });

  describe('injection attempts are refused', () => {
    it.each([
      ['*:*', 0, /field name must come before/],
      ['_exists_:actor', 0, /unknown field "_exists_"/],
      ['actor:a OR tenant:b', 11, /tenant/],
      ['TENANT:b', 0, /tenant/],
      ['{"match_all":{}}', 12, /field name must come before/],
      ['actor.id:x', 0, /unknown field "actor.id"/],
      ['details.secret:x', 0, /unknown field/],
      ['resource:*', 9, /before the first "\*"/],
      ['resource:a*', 10, /before the first "\*"/],
      ['resource:ab*c*d*e*', 9, /at most 3/],
    ])('%s', (q, position, message) => {
      const e = error(q);
      expect(e.position).toBe(position);
      expect(e.message).toMatch(message);
    });

    it('bounds the query, value length, clause count and nesting', () => {
      expect(error('x'.repeat(QUERY_LIMITS.maxQueryLength + 1)).message).toMatch(/longer than/);
      expect(error(`actor:${'a'.repeat(QUERY_LIMITS.maxValueLength + 1)}`).message).toMatch(/longer than/);
      expect(error(Array.from({ length: QUERY_LIMITS.maxClauses + 1 }, (_, i) => `w${i}`).join(' ')).message).toMatch(/more than/);
      const deep = `${'('.repeat(QUERY_LIMITS.maxDepth + 1)}x${')'.repeat(QUERY_LIMITS.maxDepth + 1)}`;
      expect(error(deep)).toMatchObject({ position: QUERY_LIMITS.maxDepth, message: expect.stringMatching(/nest deeper/) });
      expect(ast(`${'('.repeat(QUERY_LIMITS.maxDepth)}x${')'.repeat(QUERY_LIMITS.maxDepth)}`)).toEqual({ kind: 'text', text: 'x', phrase: false });
    });

    it('counts every negation toward the depth: 350 leading "-" are refused at the first one too many (issue 17)', () => {
      expect(error(`${'-'.repeat(350)}actor:x`)).toMatchObject({ position: QUERY_LIMITS.maxDepth, message: expect.stringMatching(/nest deeper/) });
      const max = `${'-'.repeat(QUERY_LIMITS.maxDepth)}actor:x`;
      let node = ast(max);
      for (let i = 0; i < QUERY_LIMITS.maxDepth; i++) {
        expect(node?.kind).toBe('not');
        node = node?.kind === 'not' ? node.child : null;
      }
      expect(node).toEqual({ kind: 'term', field: 'actor.id', value: 'x' });
    });

    it('negations and groups nest together: -(-(-(…))) is bounded by the same depth', () => {
      const mixed = `${'-('.repeat(5)}x${')'.repeat(5)}`;
      expect(error(mixed)).toMatchObject({ position: QUERY_LIMITS.maxDepth, message: expect.stringMatching(/nest deeper/) });
      expect(ast(`${'-('.repeat(4)}x${')'.repeat(4)}`)?.kind).toBe('not');
    });

    it('counts terms, negations and groups toward one size bound', () => {
      const wide = Array.from({ length: QUERY_LIMITS.maxClauses }, (_, i) => `-(-w${i})`).join(' ');
      const e = error(wide);
      expect(e.message).toMatch(/terms, negations and groups/);
      expect(wide.slice(e.position)).toMatch(/^-|^\(|^w/);
    });
  });
});

describe('parseDate', () => {
  it('reads days as midnight UTC and instants with their offset', () => {
    expect(parseDate('2024-02-29')).toBe('2024-02-29T00:00:00.000Z');
    expect(parseDate('2026-06-01T12:30:00.123-02:00')).toBe('2026-06-01T14:30:00.123Z');
  });
  it('refuses impossible or zone-less dates', () => {
    for (const bad of ['2025-02-29', '2026-00-10', '2026-1-1', '2026-04-31T00:00:00Z', '2026-01-01 10:00', 'now']) expect(parseDate(bad)).toBeNull();
  });
});
