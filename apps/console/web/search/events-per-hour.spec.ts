import { bucketLabel, chartSeries, type HistogramBucket, type SearchHistogram } from './events-per-hour';

const bucket = (start: string, byType: Record<string, number>, byOutcome: Record<string, number> = {}): HistogramBucket => ({
  start,
  total: Object.values(byType).reduce((n, v) => n + v, 0),
  byType,
  byOutcome,
});
const histogram = (...buckets: HistogramBucket[]): SearchHistogram => ({ requested: 'hour', interval: 'hour', from: buckets[0]?.start ?? null, to: null, buckets });

describe('chartSeries', () => {
  it("stacks the API's buckets by type or outcome, empty hours kept, totals from the API", () => {
    const h = histogram(
      bucket('2026-01-01T10:00:00.000Z', { a: 2, b: 1 }, { failed: 1, none: 2 }),
      bucket('2026-01-01T11:00:00.000Z', {}),
      bucket('2026-01-01T12:00:00.000Z', { a: 1 }, { none: 1 }),
    );
    const byType = chartSeries(h, 'type');
    expect(byType.buckets.map((b) => [b.start, b.total])).toEqual([
      ['2026-01-01T10:00:00.000Z', 3],
      ['2026-01-01T11:00:00.000Z', 0],
      ['2026-01-01T12:00:00.000Z', 1],
    ]);
    expect(byType.buckets[0]!.counts).toEqual({ a: 2, b: 1 });
    expect(byType).toMatchObject({ keys: ['a', 'b'], max: 3, total: 4 });
    expect(chartSeries(h, 'outcome')).toMatchObject({ keys: ['none', 'failed'], total: 4 });
  });

  it("folds rare keys and the API's own other into other, last in the legend, without changing totals", () => {
    const many = bucket('2026-01-01T10:00:00.000Z', { a: 7, b: 6, c: 5, d: 4, e: 3, f: 2, g: 1 });
    const s = chartSeries(histogram(many), 'type');
    expect(s.keys).toEqual(['a', 'b', 'c', 'd', 'e', 'other']);
    expect(s.buckets[0]!.counts).toMatchObject({ a: 7, other: 3 });
    expect(s.total).toBe(28);
    const withApiOther = chartSeries(histogram(bucket('2026-01-01T10:00:00.000Z', { a: 1, other: 4 })), 'type');
    expect(withApiOther.keys).toEqual(['a', 'other']);
    expect(withApiOther.buckets[0]!.counts).toEqual({ a: 1, other: 4 });
  });

  it('is empty for an empty histogram', () => {
    expect(chartSeries(histogram(), 'type')).toEqual({ buckets: [], keys: [], max: 0, total: 0 });
  });
});

describe('bucketLabel', () => {
  it('labels hours and days in UTC', () => {
    expect(bucketLabel('2026-01-05T10:00:00.000Z', 'hour')).toBe('01-05 10h');
    expect(bucketLabel('2026-01-05T00:00:00.000Z', 'day')).toBe('2026-01-05');
  });
});
