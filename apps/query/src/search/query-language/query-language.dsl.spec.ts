import { AcceptedEvent } from '@audit/contracts';
import { matchesEvent, parseQuery, type QueryNode } from '@audit/query-language';
import { anAcceptedEvent } from '@audit/testing';
import { escapeWildcard, tenantScopedQuery, toDsl } from './query-language.dsl';

function dsl(q: string) {
  const r = parseQuery(q);
  if (!r.ok) throw new Error(r.error.message);
  return r.ast ? toDsl(r.ast) : null;
}

describe('toDsl', () => {
  it('translates terms, wildcards, ranges and text to their safe DSL constructs', () => {
    expect(dsl('actor:alice')).toEqual({ term: { 'actor.id': { value: 'alice' } } });
    expect(dsl('type:deployment.*')).toEqual({ wildcard: { type: { value: 'deployment.*' } } });
    expect(dsl('after:2026-01-01')).toEqual({ range: { occurredAt: { gte: '2026-01-01T00:00:00.000Z' } } });
    expect(dsl('before:2026-01-01')).toEqual({ range: { occurredAt: { lt: '2026-01-01T00:00:00.000Z' } } });
    expect(dsl('"max connections"')).toEqual({ multi_match: { query: 'max connections', type: 'phrase', fields: ['reason', 'resource.name', 'actor.displayName'] } });
    expect(dsl('rollback')).toMatchObject({ multi_match: { query: 'rollback', operator: 'and' } });
  });

  it('puts filters, scored text and negations of an AND in their own bool clauses', () => {
    expect(dsl('env:prod -outcome:failed "db"')).toEqual({
      bool: {
        filter: [{ term: { 'resource.environment': { value: 'prod' } } }],
        must: [{ multi_match: { query: 'db', type: 'phrase', fields: ['reason', 'resource.name', 'actor.displayName'] } }],
        must_not: [{ term: { outcome: { value: 'failed' } } }],
      },
    });
    expect(dsl('env:a OR env:b')).toEqual({
      bool: { should: [{ term: { 'resource.environment': { value: 'a' } } }, { term: { 'resource.environment': { value: 'b' } } }], minimum_should_match: 1 },
    });
  });

  it('makes "?" and "\\" literal inside wildcards', () => {
    expect(escapeWildcard('db-?\\*')).toBe('db-\\?\\\\*');
    expect(dsl('resource:db?x*')).toEqual({ wildcard: { 'resource.id': { value: 'db\\?x*' } } });
  });

  it('keeps DSL and Lucene fragments as data: they never become query syntax', () => {
    for (const q of ['"{\\"match_all\\":{}}"', 'actor:"*:*"', 'actor:"a OR tenant:b"', '"_exists_:details"', 'actor:"}]}"', 'query_string']) {
      const out = JSON.stringify(tenantScopedQuery('acme', (parseQuery(q) as { ast: QueryNode }).ast));
      expect(out).not.toMatch(/"(match_all|query_string|simple_query_string|script|exists)"\s*:/);
    }
    expect(dsl('actor:"a OR tenant:b"')).toEqual({ term: { 'actor.id': { value: 'a OR tenant:b' } } });
  });

  it('always scopes to the tenant with a filter beside (not inside) the user query', () => {
    const user: QueryNode = { kind: 'or', children: [{ kind: 'term', field: 'actor.id', value: 'a' }, { kind: 'not', child: { kind: 'term', field: 'type', value: 'x' } }] };
    expect(tenantScopedQuery('acme', user)).toEqual({ bool: { filter: [{ term: { tenant: { value: 'acme' } } }], must: [toDsl(user)] } });
    expect(tenantScopedQuery('acme', null)).toEqual({ bool: { filter: [{ term: { tenant: { value: 'acme' } } }], must: [] } });
  });

  it('searches the tokens of a word across the text fields, each in any field, as the in-memory matcher does', () => {
    const event = AcceptedEvent.parse(anAcceptedEvent('acme', { reason: 'database restart', actor: { id: 'a', type: 'user', roles: [], teams: [], displayName: 'Alice Payments' } }));
    // One word the analyzer splits in two ("payments", "database"), found in two different fields.
    const words = (parseQuery('payments-database') as { ast: QueryNode }).ast;
    expect(matchesEvent(words, event)).toBe(true);
    expect(toDsl(words)).toEqual({ multi_match: { query: 'payments-database', type: 'cross_fields', operator: 'and', fields: ['reason', 'resource.name', 'actor.displayName'] } });
  });
});
