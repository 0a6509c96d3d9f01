import type { QueryNode } from '@audit/query-language';

/** The OpenSearch query DSL as plain objects: built node by node, never by string concatenation. */
export type DslQuery = Record<string, unknown>;

/** Text fields a bare word or a phrase searches. `details` is never full-text searched (viewers may not see it). */
export const FREE_TEXT_FIELDS = ['reason', 'resource.name', 'actor.displayName'] as const;

/**
 * Translates a checked syntax tree to DSL. Values only ever land in `term`, `wildcard`, `range` and
 * `multi_match` bodies as data; nothing the user typed is interpreted by OpenSearch as query syntax
 * (no `query_string`, no `simple_query_string`).
 */
export function toDsl(node: QueryNode): DslQuery {
  switch (node.kind) {
    case 'and': {
      const filter: DslQuery[] = [];
      const must: DslQuery[] = [];
      const mustNot: DslQuery[] = [];
      for (const child of node.children) {
        if (child.kind === 'not') mustNot.push(toDsl(child.child));
        // Free text contributes to relevance; everything else is a cacheable filter.
        else if (child.kind === 'text') must.push(toDsl(child));
        else filter.push(toDsl(child));
      }
      return { bool: { filter, must, must_not: mustNot } };
    }
    case 'or':
      return { bool: { should: node.children.map(toDsl), minimum_should_match: 1 } };
    case 'not':
      return { bool: { must_not: [toDsl(node.child)] } };
    case 'term':
      return { term: { [node.field]: { value: node.value } } };
    case 'wildcard':
      return { wildcard: { [node.field]: { value: escapeWildcard(node.pattern) } } };
    case 'range':
      return { range: { occurredAt: node.bound === 'after' ? { gte: node.at } : { lt: node.at } } };
    case 'text':
      // Words: each in any of the fields (cross_fields), as the in-memory matcher reads them; best_fields
      // would need all words in one field and disagree with alert rules and exports on the same query.
      // A phrase stays within one field in both.
      return node.phrase
        ? { multi_match: { query: node.text, type: 'phrase', fields: [...FREE_TEXT_FIELDS] } }
        : { multi_match: { query: node.text, type: 'cross_fields', operator: 'and', fields: [...FREE_TEXT_FIELDS] } };
  }
}

/** In a `wildcard` query `?` and `\` are special too; our language only has `*`, so they become literal. */
export function escapeWildcard(pattern: string): string {
  return pattern.replace(/[\\?]/g, (c) => `\\${c}`);
}

/**
 * The whole search body's query: the caller's tenant is a filter no user input can remove, combined
 * with the user's query (if any) as a sibling clause, never nested inside it.
 */
export function tenantScopedQuery(tenant: string, userQuery: QueryNode | null, options: { hideReads?: boolean } = {}): DslQuery {
  const filter: DslQuery[] = [{ term: { tenant: { value: tenant } } }];
  const mustNot: DslQuery[] = options.hideReads ? [{ term: { type: { value: 'audit.read' } } }] : [];
  return { bool: { filter, must: userQuery ? [toDsl(userQuery)] : [], ...(mustNot.length > 0 ? { must_not: mustNot } : {}) } };
}
