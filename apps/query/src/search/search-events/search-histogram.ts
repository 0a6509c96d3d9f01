import type { HistogramInterval, SearchHistogram } from '@audit/contracts';
import type { QueryNode } from '@audit/query-language';
import { tenantScopedQuery, type DslQuery } from '../query-language/query-language.dsl';

/**
 * The opt-in time histogram of `GET /v1/search?histogram=hour|day`: counts of **every** event the query
 * matches (not just the page) per UTC hour or day, each split by type and by outcome. Pure: the DSL
 * bodies it asks for and the shaping of what OpenSearch answers.
 */
export { HISTOGRAM_INTERVALS, type HistogramBucket, type HistogramInterval, type SearchHistogram } from '@audit/contracts';

const INTERVAL_MS: Record<HistogramInterval, number> = { hour: 3_600_000, day: 86_400_000 };
const FIXED_INTERVAL: Record<HistogramInterval, string> = { hour: '1h', day: '1d' };

/** Most buckets one answer holds. 1 000 hours ≈ 41.7 days; 1 000 days ≈ 2.7 years. */
export const MAX_HISTOGRAM_BUCKETS = 1000;
/** Types named per bucket; the rest of the bucket's events are counted under `other`. */
export const HISTOGRAM_TYPE_SIZE = 10;
/** Outcomes named per bucket: all 8 outcomes plus `none` fit, so `other` never appears here in practice. */
export const HISTOGRAM_OUTCOME_SIZE = 10;
/** Key for events without an outcome (not one of the contract's outcomes). */
export const NO_OUTCOME = 'none';
/** Key for events beyond the named types or outcomes of a bucket (no event type or outcome is called that). */
export const OTHER = 'other';

export interface TimeBounds {
  /** Inclusive, epoch ms. */
  after?: number;
  /** Exclusive, epoch ms. */
  before?: number;
}

/** The instants `[from, to)` the histogram covers, epoch ms. */
export interface HistogramSpan {
  from: number;
  to: number;
}

/**
 * The occurredAt range the whole query is confined to: `after:`/`before:` terms at its top level (alone or
 * ANDed with the rest). Terms inside OR or a negation do not bound the match, so they are not used.
 */
export function queryTimeBounds(ast: QueryNode | null): TimeBounds {
  const bounds: TimeBounds = {};
  const visit = (node: QueryNode) => {
    if (node.kind === 'and') node.children.forEach(visit);
    else if (node.kind === 'range') {
      const at = Date.parse(node.at);
      if (node.bound === 'after') bounds.after = Math.max(bounds.after ?? at, at);
      else bounds.before = Math.min(bounds.before ?? at, at);
    }
  };
  if (ast) visit(ast);
  return bounds;
}

/** Whether the span needs the first/last matching event: a side the query leaves open. */
export function needsExtent(bounds: TimeBounds): boolean {
  return bounds.after === undefined || bounds.before === undefined;
}

/** `size: 0` search for the first and last occurredAt the query matches (same tenant scoping as the page). */
export function extentBody(tenant: string, query: QueryNode | null): DslQuery {
  return {
    query: tenantScopedQuery(tenant, query),
    size: 0,
    track_total_hits: false,
    aggs: { first: { min: { field: 'occurredAt' } }, last: { max: { field: 'occurredAt' } } },
  };
}

export interface Extent {
  first: number | null;
  last: number | null;
}

/**
 * The span to draw. A bound in the query is used as given; an open start is the first matching event; an
 * open end is the last matching event, and not earlier than `now` when the query has an `after:` (so
 * "the last 24 hours" covers 24 hours even when the newest events are older). Null when empty.
 */
export function histogramSpan(bounds: TimeBounds, extent: Extent, now: number): HistogramSpan | null {
  const from = bounds.after ?? extent.first;
  let to = bounds.before ?? (extent.last === null ? null : extent.last + 1);
  if (bounds.before === undefined && bounds.after !== undefined) to = Math.max(to ?? now, now);
  if (from === null || to === null || to <= from) return null;
  return { from, to };
}

export function bucketCount(span: HistogramSpan, interval: HistogramInterval): number {
  const ms = INTERVAL_MS[interval];
  return Math.floor((span.to - 1) / ms) - Math.floor(span.from / ms) + 1;
}

export type IntervalChoice = { ok: true; interval: HistogramInterval } | { ok: false; reason: string };

/**
 * `hour` falls back to `day` when the span holds more than MAX_HISTOGRAM_BUCKETS hours; a span of more than
 * MAX_HISTOGRAM_BUCKETS days is refused (the reason names the span and how to narrow it).
 */
export function chooseInterval(requested: HistogramInterval, span: HistogramSpan | null): IntervalChoice {
  if (span === null) return { ok: true, interval: requested };
  const order: HistogramInterval[] = requested === 'hour' ? ['hour', 'day'] : ['day'];
  for (const interval of order) if (bucketCount(span, interval) <= MAX_HISTOGRAM_BUCKETS) return { ok: true, interval };
  const days = bucketCount(span, 'day');
  return {
    ok: false,
    reason:
      `would need ${days} daily buckets to cover ${new Date(span.from).toISOString()} to ${new Date(span.to).toISOString()}, ` +
      `more than ${MAX_HISTOGRAM_BUCKETS}; narrow the range with after:/before:`,
  };
}

/** The `date_histogram` aggregation added to the page's search: same query, so the same filter and tenant. */
export function histogramAggregation(span: HistogramSpan, interval: HistogramInterval): DslQuery {
  return {
    date_histogram: {
      field: 'occurredAt',
      fixed_interval: FIXED_INTERVAL[interval],
      min_doc_count: 0,
      extended_bounds: { min: span.from, max: span.to - 1 },
    },
    aggs: {
      type: { terms: { field: 'type', size: HISTOGRAM_TYPE_SIZE } },
      outcome: { terms: { field: 'outcome', size: HISTOGRAM_OUTCOME_SIZE, missing: NO_OUTCOME } },
    },
  };
}

interface TermsAgg {
  buckets?: { key: string; doc_count: number }[];
  sum_other_doc_count?: number;
}
export interface RawHistogramAgg {
  buckets?: { key: number; doc_count: number; type?: TermsAgg; outcome?: TermsAgg }[];
}

function counts(terms: TermsAgg | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const b of terms?.buckets ?? []) out[String(b.key)] = b.doc_count;
  if (terms?.sum_other_doc_count) out[OTHER] = terms.sum_other_doc_count;
  return out;
}

/** OpenSearch's `date_histogram` answer as the API's buckets; buckets outside the span are dropped. */
export function shapeHistogram(raw: RawHistogramAgg | undefined, requested: HistogramInterval, interval: HistogramInterval, span: HistogramSpan | null): SearchHistogram {
  if (span === null) return { requested, interval, from: null, to: null, buckets: [] };
  const ms = INTERVAL_MS[interval];
  const buckets = (raw?.buckets ?? [])
    .filter((b) => b.key + ms > span.from && b.key < span.to)
    .map((b) => ({ start: new Date(b.key).toISOString(), total: b.doc_count, byType: counts(b.type), byOutcome: counts(b.outcome) }));
  return { requested, interval, from: new Date(span.from).toISOString(), to: new Date(span.to).toISOString(), buckets };
}
