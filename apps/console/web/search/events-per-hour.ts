/** Counts of loaded events per UTC hour, split by one field: what the chart draws, and nothing more. */

export interface HourBucket {
  hour: string;
  counts: Record<string, number>;
  total: number;
}

export interface HourlySeries {
  buckets: HourBucket[];
  keys: string[];
  max: number;
}

const MAX_KEYS = 6;

/**
 * Buckets `events` by the UTC hour of `occurredAt` and by `by` (type or outcome; a missing outcome counts
 * as "none"). Keys beyond the most frequent few are folded into "other" so the legend stays readable.
 * Hours with no event between the first and the last are present with zero counts.
 */
export function eventsPerHour(events: Record<string, unknown>[], by: 'type' | 'outcome'): HourlySeries {
  const perKey = new Map<string, number>();
  const valid = events.filter((e) => typeof e.occurredAt === 'string' && !Number.isNaN(Date.parse(e.occurredAt)));
  for (const e of valid) {
    const key = typeof e[by] === 'string' ? (e[by] as string) : 'none';
    perKey.set(key, (perKey.get(key) ?? 0) + 1);
  }
  const ranked = [...perKey.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k]) => k);
  const kept = new Set(ranked.length > MAX_KEYS ? ranked.slice(0, MAX_KEYS - 1) : ranked);
  const keys = ranked.length > MAX_KEYS ? [...kept, 'other'] : ranked;
  if (valid.length === 0) return { buckets: [], keys, max: 0 };

  const hourOf = (e: Record<string, unknown>) => Math.floor(Date.parse(e.occurredAt as string) / 3600_000);
  const hours = valid.map(hourOf);
  const first = Math.min(...hours);
  const last = Math.max(...hours);
  // Bounded: a page of events spread over years would otherwise draw thousands of empty bars.
  const start = Math.max(first, last - 24 * 31);
  const buckets: HourBucket[] = [];
  for (let h = start; h <= last; h++) buckets.push({ hour: new Date(h * 3600_000).toISOString().slice(0, 13) + ':00Z', counts: {}, total: 0 });
  for (const e of valid) {
    const h = hourOf(e);
    if (h < start) continue;
    const raw = typeof e[by] === 'string' ? (e[by] as string) : 'none';
    const key = kept.has(raw) ? raw : 'other';
    const bucket = buckets[h - start]!;
    bucket.counts[key] = (bucket.counts[key] ?? 0) + 1;
    bucket.total += 1;
  }
  return { buckets, keys, max: Math.max(...buckets.map((b) => b.total)) };
}
