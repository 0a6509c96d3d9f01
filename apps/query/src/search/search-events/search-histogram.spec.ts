import { parseQuery, type QueryNode } from '@audit/query-language';
import { searchBody } from './search-events.request';
import {
  bucketCount,
  chooseInterval,
  extentBody,
  histogramAggregation,
  histogramSpan,
  MAX_HISTOGRAM_BUCKETS,
  needsExtent,
  queryTimeBounds,
  shapeHistogram,
  type RawHistogramAgg,
} from './search-histogram';

const H = 3_600_000;
const D = 24 * H;
const ms = (iso: string) => Date.parse(iso);
const ast = (q: string): QueryNode | null => {
  const parsed = parseQuery(q);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.ast;
};

describe('queryTimeBounds', () => {
  it('reads after:/before: at the top level, alone or ANDed, keeping the narrowest', () => {
    expect(queryTimeBounds(null)).toEqual({});
    expect(queryTimeBounds(ast('after:2026-01-01'))).toEqual({ after: ms('2026-01-01T00:00:00Z') });
    expect(queryTimeBounds(ast('env:prod after:2026-01-01 before:2026-01-03T12:00:00Z after:2026-01-02'))).toEqual({
      after: ms('2026-01-02T00:00:00Z'),
      before: ms('2026-01-03T12:00:00Z'),
    });
  });
  it('ignores bounds inside OR and negations: they do not confine the match', () => {
    expect(queryTimeBounds(ast('after:2026-01-01 OR env:prod'))).toEqual({});
    expect(queryTimeBounds(ast('-before:2026-01-01 env:prod'))).toEqual({});
    expect(queryTimeBounds(ast('(env:prod OR env:dev) before:2026-01-01'))).toEqual({ before: ms('2026-01-01T00:00:00Z') });
  });
});

describe('histogramSpan', () => {
  const now = ms('2026-03-01T12:30:00Z');
  const none = { first: null, last: null };
  it('uses both bounds as given, without asking for the extent', () => {
    const bounds = { after: ms('2026-01-01T00:00:00Z'), before: ms('2026-01-02T00:00:00Z') };
    expect(needsExtent(bounds)).toBe(false);
    expect(histogramSpan(bounds, none, now)).toEqual({ from: bounds.after, to: bounds.before });
  });
  it('closes an open side at the first or last matching event; an after: reaches at least now', () => {
    const extent = { first: ms('2026-01-01T05:00:00Z'), last: ms('2026-01-01T07:10:00Z') };
    expect(needsExtent({})).toBe(true);
    expect(histogramSpan({}, extent, now)).toEqual({ from: extent.first, to: extent.last + 1 });
    expect(histogramSpan({ before: ms('2026-02-01T00:00:00Z') }, extent, now)).toEqual({ from: extent.first, to: ms('2026-02-01T00:00:00Z') });
    expect(histogramSpan({ after: ms('2026-03-01T00:00:00Z') }, none, now)).toEqual({ from: ms('2026-03-01T00:00:00Z'), to: now });
    const future = ms('2026-03-01T12:33:00Z');
    expect(histogramSpan({ after: ms('2026-03-01T00:00:00Z') }, { first: future, last: future }, now)?.to).toBe(future + 1);
  });
  it('is null when there is nothing to cover', () => {
    expect(histogramSpan({}, none, now)).toBeNull();
    expect(histogramSpan({ after: ms('2026-01-02T00:00:00Z'), before: ms('2026-01-01T00:00:00Z') }, none, now)).toBeNull();
    expect(histogramSpan({ after: ms('2027-01-01T00:00:00Z') }, none, now)).toBeNull();
  });
});

describe('bucketCount and chooseInterval', () => {
  it('counts the UTC hours or days a span touches', () => {
    expect(bucketCount({ from: ms('2026-01-01T10:00:00Z'), to: ms('2026-01-01T11:00:00Z') }, 'hour')).toBe(1);
    expect(bucketCount({ from: ms('2026-01-01T10:59:00Z'), to: ms('2026-01-01T11:00:00.001Z') }, 'hour')).toBe(2);
    expect(bucketCount({ from: ms('2026-01-01T23:00:00Z'), to: ms('2026-01-02T01:00:00Z') }, 'day')).toBe(2);
  });
  it('keeps hours up to the bound, falls back to days above it, and refuses more than the bound in days', () => {
    const from = ms('2026-01-01T00:00:00Z');
    expect(chooseInterval('hour', { from, to: from + MAX_HISTOGRAM_BUCKETS * H })).toEqual({ ok: true, interval: 'hour' });
    expect(chooseInterval('hour', { from, to: from + MAX_HISTOGRAM_BUCKETS * H + 1 })).toEqual({ ok: true, interval: 'day' });
    expect(chooseInterval('day', { from, to: from + MAX_HISTOGRAM_BUCKETS * D })).toEqual({ ok: true, interval: 'day' });
    const refused = chooseInterval('hour', { from, to: from + MAX_HISTOGRAM_BUCKETS * D + 1 });
    expect(refused).toEqual({ ok: false, reason: expect.stringMatching(/1001 daily buckets to cover 2026-01-01T00:00:00.000Z to .*more than 1000; narrow the range with after:\/before:/) });
    expect(chooseInterval('hour', null)).toEqual({ ok: true, interval: 'hour' });
  });
});

describe('histogram request bodies', () => {
  it('asks for the extent with the tenant filter and no hits', () => {
    expect(extentBody('acme', null)).toEqual({
      query: { bool: { filter: [{ term: { tenant: { value: 'acme' } } }], must: [] } },
      size: 0,
      track_total_hits: false,
      aggs: { first: { min: { field: 'occurredAt' } }, last: { max: { field: 'occurredAt' } } },
    });
  });
  it('adds a bounded date_histogram beside the facets only when asked', () => {
    const span = { from: ms('2026-01-01T00:00:00Z'), to: ms('2026-01-02T00:00:00Z') };
    const body = searchBody({ tenant: 'acme', query: null, size: 5, withDetails: true, histogram: { span, interval: 'hour' } });
    expect((body.aggs as Record<string, unknown>).histogram).toEqual({
      date_histogram: { field: 'occurredAt', fixed_interval: '1h', min_doc_count: 0, extended_bounds: { min: span.from, max: span.to - 1 } },
      aggs: { type: { terms: { field: 'type', size: 10 } }, outcome: { terms: { field: 'outcome', size: 10, missing: 'none' } } },
    });
    expect(histogramAggregation(span, 'day')).toMatchObject({ date_histogram: { fixed_interval: '1d' } });
    expect(searchBody({ tenant: 'acme', query: null, size: 5, withDetails: true }).aggs).not.toHaveProperty('histogram');
  });
});

describe('shapeHistogram', () => {
  const span = { from: ms('2026-01-01T10:00:00Z'), to: ms('2026-01-01T12:00:00Z') };
  it('turns buckets into start, total and counts by type and outcome, with the rest as other', () => {
    const raw: RawHistogramAgg = {
      buckets: [
        {
          key: span.from,
          doc_count: 14,
          type: { buckets: [{ key: 'config.changed', doc_count: 3 }], sum_other_doc_count: 11 },
          outcome: { buckets: [{ key: 'none', doc_count: 10 }, { key: 'failed', doc_count: 4 }], sum_other_doc_count: 0 },
        },
        { key: span.from + H, doc_count: 0, type: { buckets: [] }, outcome: { buckets: [] } },
        { key: span.to, doc_count: 1, type: { buckets: [{ key: 'x', doc_count: 1 }] } },
      ],
    };
    expect(shapeHistogram(raw, 'hour', 'hour', span)).toEqual({
      requested: 'hour',
      interval: 'hour',
      from: '2026-01-01T10:00:00.000Z',
      to: '2026-01-01T12:00:00.000Z',
      buckets: [
        { start: '2026-01-01T10:00:00.000Z', total: 14, byType: { 'config.changed': 3, other: 11 }, byOutcome: { none: 10, failed: 4 } },
        { start: '2026-01-01T11:00:00.000Z', total: 0, byType: {}, byOutcome: {} },
      ],
    });
  });
  it('is empty, with the interval asked for, when there is no span', () => {
    expect(shapeHistogram(undefined, 'hour', 'hour', null)).toEqual({ requested: 'hour', interval: 'hour', from: null, to: null, buckets: [] });
  });
});
