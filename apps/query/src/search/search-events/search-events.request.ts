import type { QueryNode } from '@audit/query-language';
import { tenantScopedQuery, type DslQuery } from '../query-language/query-language.dsl';
import type { SearchCursor } from './search-cursor';
import { histogramAggregation, type HistogramInterval, type HistogramSpan } from './search-histogram';

/** Facets returned with every search: counts by these document fields. */
export const FACETS = { type: 'type', actor: 'actor.id', environment: 'resource.environment', outcome: 'outcome' } as const;
export const FACET_SIZE = 20;

export interface SearchRequest {
  tenant: string;
  query: QueryNode | null;
  size: number;
  cursor?: SearchCursor;
  /** Viewers see events without `details`: it is left out of `_source` by OpenSearch itself. */
  withDetails: boolean;
  /** Leave out `audit.read` records (the default view: reads are shown on request). */
  hideReads?: boolean;
  /** Opt-in: a `date_histogram` over everything the query matches (not just this page), as agg `histogram`. */
  histogram?: { span: HistogramSpan; interval: HistogramInterval };
}

/** The complete `_search` body. Newest first; `seq` breaks ties so paging never skips or repeats a hit. */
export function searchBody(request: SearchRequest): DslQuery {
  return {
    query: tenantScopedQuery(request.tenant, request.query, { hideReads: request.hideReads ?? false }),
    size: request.size,
    sort: [{ occurredAt: { order: 'desc' } }, { seq: { order: 'desc' } }],
    track_total_hits: 10_000,
    ...(request.cursor ? { search_after: [request.cursor.t, request.cursor.s] } : {}),
    ...(request.withDetails ? {} : { _source: { excludes: ['details'] } }),
    aggs: {
      ...Object.fromEntries(Object.entries(FACETS).map(([name, field]) => [name, { terms: { field, size: FACET_SIZE } }])),
      ...(request.histogram ? { histogram: histogramAggregation(request.histogram.span, request.histogram.interval) } : {}),
    },
  };
}

/** Whether a query asks for read records by type (then hiding them would answer nothing). */
export function namesReads(node: QueryNode | null): boolean {
  if (node === null) return false;
  switch (node.kind) {
    case 'and':
    case 'or':
      return node.children.some(namesReads);
    case 'not':
      return false;
    case 'term':
      return node.field === 'type' && node.value === 'audit.read';
    case 'wildcard':
      return node.field === 'type' && 'audit.read'.startsWith(node.pattern.split('*')[0]!);
    default:
      return false;
  }
}
