/**
 * The `histogram` member of `GET /v1/search?histogram=hour|day` (apps/query/README.md, "Histogram"):
 * the query service builds it and the console draws it, so its shape is declared once, here.
 */
export const HISTOGRAM_INTERVALS = ['hour', 'day'] as const;
export type HistogramInterval = (typeof HISTOGRAM_INTERVALS)[number];

export interface HistogramBucket {
  /** Start of the hour or day, UTC, ISO 8601. */
  start: string;
  total: number;
  byType: Record<string, number>;
  byOutcome: Record<string, number>;
}

export interface SearchHistogram {
  /** What the client asked for. */
  requested: HistogramInterval;
  /** What it got: `day` when `hour` would have needed more than the bucket limit. */
  interval: HistogramInterval;
  /** The span covered (from inclusive, to exclusive); null when there is nothing to cover. */
  from: string | null;
  to: string | null;
  buckets: HistogramBucket[];
}
