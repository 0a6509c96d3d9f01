import { Inject, Injectable } from '@nestjs/common';
import type { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import type { Principal } from '@audit/auth';
import type { Logger } from '@audit/observability';
import { InjectConfig, InjectLogger, InjectOpenSearch } from '@audit/service-shell';
import { may } from '../../auth/read-access';
import { CLOCK, type Clock } from '../../clock';
import type { QueryConfig } from '../../config';
import { fail, ok, Problems, type Result } from '../../http/problem';
import { tenantIndexPattern } from '../../projections/opensearch/event-index';
import { AuditReadRecorder } from '../../reads/audit-read.recorder';
import { parseQuery } from '@audit/query-language';
import { decodeCursor, encodeCursor } from './search-cursor';
import { FACETS, namesReads, searchBody, type SearchRequest } from './search-events.request';
import {
  chooseInterval,
  extentBody,
  histogramSpan,
  needsExtent,
  queryTimeBounds,
  shapeHistogram,
  type HistogramInterval,
  type HistogramSpan,
  type RawHistogramAgg,
  type SearchHistogram,
} from './search-histogram';

export interface SearchParams {
  q: string;
  size: number;
  cursor?: string;
  /** Opt-in histogram over the whole match; first page only. */
  histogram?: HistogramInterval;
  /**
   * `audit.read` events (every read records one) are hidden unless asked for with `show`, or the query
   * names `type:audit.read`: otherwise the console's own reads would fill the default view.
   */
  reads?: 'show' | 'hide';
}

export interface SearchPage {
  hits: Record<string, unknown>[];
  total: { value: number; relation: string };
  facets: Record<keyof typeof FACETS, { value: string; count: number }[]>;
  nextCursor: string | null;
  /** Present only when asked for with `histogram=`. */
  histogram?: SearchHistogram;
}

interface Hit {
  _source: Record<string, unknown>;
  sort: [number, number];
}

/** `GET /v1/search`: parse → tenant-scoped DSL on the tenant's own indices → record the read → page. */
@Injectable()
export class SearchEventsHandler {
  constructor(
    @InjectOpenSearch() private readonly client: OpenSearchClient,
    @InjectConfig() private readonly config: QueryConfig,
    @InjectLogger() private readonly logger: Logger,
    private readonly reads: AuditReadRecorder,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(principal: Principal, params: SearchParams): Promise<Result<SearchPage>> {
    const parsed = parseQuery(params.q);
    if (!parsed.ok) return fail(Problems.querySyntax(parsed.error.message, parsed.error.position, parsed.error.expected));
    let cursor;
    if (params.cursor !== undefined) {
      const decoded = decodeCursor(params.cursor, params.q);
      if (!decoded.ok) return fail(Problems.badParameter('cursor', decoded.reason));
      cursor = decoded.cursor;
    }
    let histogram: { span: HistogramSpan | null; interval: HistogramInterval } | undefined;
    if (params.histogram !== undefined) {
      if (cursor) return fail(Problems.badParameter('histogram', 'is served with the first page only; leave it out when sending a cursor'));
      const bounds = queryTimeBounds(parsed.ast);
      const extent = needsExtent(bounds) ? await this.extent(principal.tenant, parsed.ast) : { first: null, last: null };
      const span = histogramSpan(bounds, extent, this.clock().getTime());
      const choice = chooseInterval(params.histogram, span);
      if (!choice.ok) return fail(Problems.badParameter('histogram', choice.reason));
      histogram = { span, interval: choice.interval };
    }
    const hideReads = params.reads === 'hide' || (params.reads === undefined && !namesReads(parsed.ast));
    const request: SearchRequest = { tenant: principal.tenant, query: parsed.ast, size: params.size, withDetails: may(principal, 'events.details'), hideReads, ...(cursor ? { cursor } : {}) };
    if (histogram?.span) request.histogram = { span: histogram.span, interval: histogram.interval };
    const res = await this.client.search({
      index: this.index(principal.tenant),
      ignore_unavailable: true,
      allow_no_indices: true,
      body: searchBody(request) as never,
    });
    const hits = res.body.hits.hits as unknown as Hit[];
    const total = res.body.hits.total as { value: number; relation: string } | number | undefined;
    const aggs = (res.body.aggregations ?? {}) as Record<string, { buckets?: { key: string; doc_count: number }[] } | undefined>;
    const facets = Object.fromEntries(
      Object.keys(FACETS).map((name) => [name, (aggs[name]?.buckets ?? []).map((b) => ({ value: String(b.key), count: b.doc_count }))]),
    ) as SearchPage['facets'];
    const last = hits[hits.length - 1];
    const page: SearchPage = {
      hits: hits.map((h) => h._source),
      total: typeof total === 'number' ? { value: total, relation: 'eq' } : (total ?? { value: hits.length, relation: 'eq' }),
      facets,
      nextCursor: last && hits.length === params.size ? encodeCursor(last.sort[0], last.sort[1], params.q) : null,
      ...(histogram && params.histogram ? { histogram: shapeHistogram(aggs.histogram as RawHistogramAgg | undefined, params.histogram, histogram.interval, histogram.span) } : {}),
    };
    const recorded = await this.reads.record({
      principal,
      endpoint: '/v1/search',
      query: { q: params.q, size: params.size, cursor: params.cursor, histogram: params.histogram, reads: params.reads },
      resultCount: page.hits.length,
    });
    if (!recorded.ok) return recorded;
    this.logger.debug({ tenant: principal.tenant, reader: principal.sub, hits: page.hits.length }, 'search served');
    return ok(page);
  }

  private index(tenant: string): string {
    return tenantIndexPattern(this.config.OPENSEARCH_INDEX_PREFIX, tenant);
  }

  /** First and last occurredAt the query matches in the tenant's indices (for a side the query leaves open). */
  private async extent(tenant: string, query: SearchRequest['query']): Promise<{ first: number | null; last: number | null }> {
    const res = await this.client.search({ index: this.index(tenant), ignore_unavailable: true, allow_no_indices: true, body: extentBody(tenant, query) as never });
    const aggs = (res.body.aggregations ?? {}) as Record<string, { value?: number | null } | undefined>;
    return { first: aggs.first?.value ?? null, last: aggs.last?.value ?? null };
  }
}
