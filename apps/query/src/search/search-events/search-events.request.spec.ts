import { parseQuery } from '@audit/query-language';
import { decodeCursor, encodeCursor } from './search-cursor';
import { namesReads, searchBody } from './search-events.request';

describe('search cursor', () => {
  it('round-trips for the same query', () => {
    const token = encodeCursor(1_767_225_600_000, 42, 'env:prod');
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(token, ' env:prod ')).toEqual({ ok: true, cursor: { v: 1, t: 1_767_225_600_000, s: 42, q: expect.any(String) } });
  });
  it('refuses a cursor of another query, garbage, forged and oversized tokens', () => {
    const token = encodeCursor(1, 1, 'env:prod');
    expect(decodeCursor(token, 'env:dev')).toMatchObject({ ok: false, reason: expect.stringMatching(/different query/) });
    const forged = Buffer.from(JSON.stringify({ v: 1, t: 1, s: 1, q: 'x'.repeat(16), extra: { match_all: {} } })).toString('base64url');
    for (const bad of ['', '!!!', 'a'.repeat(300), Buffer.from('[1,2]').toString('base64url'), forged]) {
      expect(decodeCursor(bad, 'env:prod').ok).toBe(false);
    }
  });
});

describe('searchBody', () => {
  it('sorts newest first with a seq tiebreak, pages with search_after and asks for the facets', () => {
    const body = searchBody({ tenant: 'acme', query: null, size: 20, cursor: { v: 1, t: 5, s: 9, q: 'x'.repeat(16) }, withDetails: true });
    expect(body).toMatchObject({
      size: 20,
      sort: [{ occurredAt: { order: 'desc' } }, { seq: { order: 'desc' } }],
      search_after: [5, 9],
      aggs: { type: { terms: { field: 'type' } }, actor: { terms: { field: 'actor.id' } }, environment: { terms: { field: 'resource.environment' } }, outcome: { terms: { field: 'outcome' } } },
    });
    expect(body).not.toHaveProperty('_source');
  });
  it('leaves details out of _source for callers who may not see them', () => {
    expect(searchBody({ tenant: 'acme', query: null, size: 1, withDetails: false })._source).toEqual({ excludes: ['details'] });
  });
});

describe('audit.read records in the default search (issue 17)', () => {
  const q = (text: string) => {
    const r = parseQuery(text);
    if (!r.ok) throw new Error(r.error.message);
    return r.ast;
  };
  it('leaves them out with hideReads, as a must_not beside the tenant filter', () => {
    const body = searchBody({ tenant: 'acme', query: null, size: 10, withDetails: false, hideReads: true }) as { query: { bool: Record<string, unknown> } };
    expect(body.query.bool).toEqual({ filter: [{ term: { tenant: { value: 'acme' } } }], must: [], must_not: [{ term: { type: { value: 'audit.read' } } }] });
    const shown = searchBody({ tenant: 'acme', query: null, size: 10, withDetails: false }) as { query: { bool: Record<string, unknown> } };
    expect(shown.query.bool).not.toHaveProperty('must_not');
  });
  it('knows when a query asks for them by type', () => {
    expect(namesReads(q('type:audit.read actor:alice'))).toBe(true);
    expect(namesReads(q('env:prod OR type:audit.*'))).toBe(true);
    expect(namesReads(q('-type:audit.read'))).toBe(false);
    expect(namesReads(q('type:deployment.failed'))).toBe(false);
    expect(namesReads(null)).toBe(false);
  });
});
