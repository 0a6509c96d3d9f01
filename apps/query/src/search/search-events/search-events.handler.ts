import { Injectable } from '@nestjs/common';
import type { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import type { Principal } from '@audit/auth';
import type { Logger } from '@audit/observability';
import { InjectConfig, InjectLogger, InjectOpenSearch } from '@audit/service-shell';
import { may } from '../../auth/read-access';
import type { QueryConfig } from '../../config';
import { fail, ok, Problems, type Result } from '../../http/problem';
import { tenantIndexPattern } from '../../projections/opensearch/event-index';
import { AuditReadRecorder } from '../../reads/audit-read.recorder';
import { parseQuery } from '@audit/query-language';
import { decodeCursor, encodeCursor } from './search-cursor';
import { FACETS, searchBody } from './search-events.request';

export interface SearchParams {
  q: string;
  size: number;
  cursor?: string;
}

export interface SearchPage {
  hits: Record<string, unknown>[];
  total: { value: number; relation: string };
  facets: Record<keyof typeof FACETS, { value: string; count: number }[]>;
  nextCursor: string | null;
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
    const body = searchBody({ tenant: principal.tenant, query: parsed.ast, size: params.size, withDetails: may(principal, 'events.details'), ...(cursor ? { cursor } : {}) });
    const res = await this.client.search({
      index: tenantIndexPattern(this.config.OPENSEARCH_INDEX_PREFIX, principal.tenant),
      ignore_unavailable: true,
      allow_no_indices: true,
      body: body as never,
    });
    const hits = res.body.hits.hits as unknown as Hit[];
    const total = res.body.hits.total as { value: number; relation: string } | number | undefined;
    const aggs = (res.body.aggregations ?? {}) as Record<string, { buckets?: { key: string; doc_count: number }[] }>;
    const facets = Object.fromEntries(
      Object.keys(FACETS).map((name) => [name, (aggs[name]?.buckets ?? []).map((b) => ({ value: String(b.key), count: b.doc_count }))]),
    ) as SearchPage['facets'];
    const last = hits[hits.length - 1];
    const page: SearchPage = {
      hits: hits.map((h) => h._source),
      total: typeof total === 'number' ? { value: total, relation: 'eq' } : (total ?? { value: hits.length, relation: 'eq' }),
      facets,
      nextCursor: last && hits.length === params.size ? encodeCursor(last.sort[0], last.sort[1], params.q) : null,
    };
    const recorded = await this.reads.record({
      principal,
      endpoint: '/v1/search',
      query: { q: params.q, size: params.size, cursor: params.cursor },
      resultCount: page.hits.length,
    });
    if (!recorded.ok) return recorded;
    this.logger.debug({ tenant: principal.tenant, reader: principal.sub, hits: page.hits.length }, 'search served');
    return ok(page);
  }
}
