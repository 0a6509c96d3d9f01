import { SEARCH_FIELDS } from '@audit/query-language';
import { tenantScopedQuery, type DslQuery } from '../../search/query-language/query-language.dsl';
import type { AlertRule, RuleDefinition } from '../rules/alert-rule.schema';
import { formatMs, type Firing } from './stream-evaluator';

type Scheduled = Extract<RuleDefinition, { type: 'spike' | 'cardinality' | 'flatline' }>;

/**
 * The scheduled half of rule evaluation, pure: the OpenSearch request a rule needs at `now`, and the
 * firings its response implies. Windows are half-open, [now − window, now), on `occurredAt`; the
 * tenant filter comes from `tenantScopedQuery`, the same one search uses, so a rule cannot see
 * another tenant's events.
 */
export function scheduledSearchBody(tenant: string, d: Scheduled, now: Date): DslQuery {
  const end = now.getTime();
  const iso = (ms: number) => new Date(ms).toISOString();
  const span = d.type === 'spike' ? 2 * d.window : d.window;
  const query = tenantScopedQuery(tenant, d.filter.ast);
  (query['bool'] as { filter: DslQuery[] }).filter.push({ range: { occurredAt: { gte: iso(end - span), lt: iso(end) } } });
  const base = { size: 0, track_total_hits: true, query };
  switch (d.type) {
    case 'flatline':
      return base;
    case 'spike': {
      const windows = {
        current: { filter: { range: { occurredAt: { gte: iso(end - d.window), lt: iso(end) } } } },
        reference: { filter: { range: { occurredAt: { gte: iso(end - 2 * d.window), lt: iso(end - d.window) } } } },
      };
      return { ...base, aggs: d.groupBy ? { groups: { terms: { field: SEARCH_FIELDS[d.groupBy], size: 500 }, aggs: windows } } : windows };
    }
    case 'cardinality': {
      const distinct = { distinct: { cardinality: { field: SEARCH_FIELDS[d.field], precision_threshold: 3000 } } };
      return { ...base, aggs: d.groupBy ? { groups: { terms: { field: SEARCH_FIELDS[d.groupBy], size: 500 }, aggs: distinct } } : distinct };
    }
  }
}

interface Bucket {
  key?: unknown;
  current?: { doc_count?: number };
  reference?: { doc_count?: number };
  distinct?: { value?: number };
}

/** Firings from a search response (the `body` of the OpenSearch client's answer). */
export function scheduledFirings(rule: AlertRule, response: unknown, now: Date): Firing[] {
  const d = rule.definition as Scheduled;
  const body = (response ?? {}) as { hits?: { total?: { value?: number } | number }; aggregations?: Record<string, unknown> };
  const total = typeof body.hits?.total === 'number' ? body.hits.total : (body.hits?.total?.value ?? 0);
  const aggs = (body.aggregations ?? {}) as Bucket & { groups?: { buckets?: Bucket[] } };
  const buckets: { group: string; b: Bucket }[] =
    'groupBy' in d && d.groupBy ? (aggs.groups?.buckets ?? []).map((b) => ({ group: String(b.key), b })) : [{ group: '', b: aggs }];
  const fire = (groupKey: string, summary: string): Firing => ({ ruleId: rule.id, ruleVersion: rule.version, groupKey, at: now.toISOString(), matchedSeqs: [], changeIds: [], summary });
  const by = (group: string) => ('groupBy' in d && d.groupBy ? ` for ${d.groupBy}=${group}` : '');
  switch (d.type) {
    case 'flatline':
      return decideFlatline(d.threshold, total) ? [fire('', `only ${total} matching events in the last ${formatMs(d.window)} (expected at least ${d.threshold})`)] : [];
    case 'spike':
      return buckets.flatMap(({ group, b }) => {
        const current = b.current?.doc_count ?? 0;
        const reference = b.reference?.doc_count ?? 0;
        const spike = decideSpike(d, current, reference);
        return spike ? [fire(group, `${spike} ${current} events in the last ${formatMs(d.window)} against ${reference} in the one before${by(group)}`)] : [];
      });
    case 'cardinality':
      return buckets.flatMap(({ group, b }) => {
        const distinct = b.distinct?.value ?? 0;
        return distinct > d.maxCardinality ? [fire(group, `${distinct} distinct ${d.field} values in the last ${formatMs(d.window)} (limit ${d.maxCardinality})${by(group)}`)] : [];
      });
  }
}

export function decideFlatline(threshold: number, count: number): boolean {
  return count < threshold;
}

/**
 * Up: the current window has at least `minCount` events and at least `ratio` times the reference (an
 * empty reference counts as 1). Down: the reference had at least `minCount` and the current window at
 * most reference / ratio.
 */
export function decideSpike(d: { ratio: number; direction: 'up' | 'down' | 'both'; minCount: number }, current: number, reference: number): 'spike:' | 'drop:' | null {
  const up = current >= d.minCount && current >= d.ratio * Math.max(reference, 1);
  const down = reference >= d.minCount && current <= reference / d.ratio;
  if (up && d.direction !== 'down') return 'spike:';
  if (down && d.direction !== 'up') return 'drop:';
  return null;
}
