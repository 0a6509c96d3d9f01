/**
 * The chart's data: the search API's `histogram` (apps/query/README.md, "Histogram") — counts of every
 * event the query matches per UTC hour (or day, for long ranges), by type and by outcome — reshaped into
 * stacked series split by one of the two. Nothing here counts loaded pages.
 */

import type { HistogramBucket, HistogramInterval, SearchHistogram } from '@audit/contracts';

export type { HistogramBucket, HistogramInterval, SearchHistogram } from '@audit/contracts';

export interface ChartBucket {
  start: string;
  counts: Record<string, number>;
  total: number;
}

export interface ChartSeries {
  buckets: ChartBucket[];
  /** Legend order: most frequent first, `other` last. */
  keys: string[];
  max: number;
  total: number;
}

const MAX_KEYS = 6;
export const OTHER = 'other';

/**
 * Stacked series split by `by`. Keys beyond the most frequent few over the whole range are folded into
 * "other" (as is the API's own "other": types past the 10 it names per bucket) so the legend stays readable;
 * a bucket's total is the API's, so folding never changes a count.
 */
export function chartSeries(histogram: SearchHistogram, by: 'type' | 'outcome'): ChartSeries {
  const split = (b: HistogramBucket) => (by === 'type' ? b.byType : b.byOutcome);
  const perKey = new Map<string, number>();
  for (const b of histogram.buckets) for (const [k, v] of Object.entries(split(b))) if (k !== OTHER) perKey.set(k, (perKey.get(k) ?? 0) + v);
  const ranked = [...perKey.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k]) => k);
  const hasOther = histogram.buckets.some((b) => (split(b)[OTHER] ?? 0) > 0);
  const kept = new Set(ranked.length + (hasOther ? 1 : 0) > MAX_KEYS ? ranked.slice(0, MAX_KEYS - 1) : ranked);
  const keys = kept.size < ranked.length || hasOther ? [...kept, OTHER] : [...kept];
  const buckets = histogram.buckets.map((b) => {
    const counts: Record<string, number> = {};
    for (const [k, v] of Object.entries(split(b))) {
      if (!v) continue;
      const key = kept.has(k) ? k : OTHER;
      counts[key] = (counts[key] ?? 0) + v;
    }
    return { start: b.start, counts, total: b.total };
  });
  return {
    buckets,
    keys,
    max: buckets.reduce((m, b) => Math.max(m, b.total), 0),
    total: buckets.reduce((n, b) => n + b.total, 0),
  };
}

/** Axis and table label of a bucket start: `MM-DD HHh` for hours, `YYYY-MM-DD` for days (UTC). */
export function bucketLabel(start: string, interval: HistogramInterval): string {
  return interval === 'hour' ? `${start.slice(5, 13).replace('T', ' ')}h` : start.slice(0, 10);
}
