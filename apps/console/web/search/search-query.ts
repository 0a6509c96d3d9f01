/** Pure edits of a query in the project's query language (apps/query/README.md): time range and facet refinement. */

export type RangePreset = 'all' | '1h' | '24h' | '7d' | '30d' | 'custom';

export interface TimeRange {
  after?: string;
  before?: string;
}

const HOURS: Record<Exclude<RangePreset, 'all' | 'custom'>, number> = { '1h': 1, '24h': 24, '7d': 24 * 7, '30d': 24 * 30 };

/** The range a preset means at `now` (RFC 3339 UTC, which the query language accepts for after:/before:). */
export function presetRange(preset: RangePreset, now: Date): TimeRange {
  if (preset === 'all' || preset === 'custom') return {};
  return { after: new Date(now.getTime() - HOURS[preset] * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z') };
}

/** A `datetime-local` input value (local time, no zone) as RFC 3339 UTC, or undefined when empty/invalid. */
export function localInputToRfc3339(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const TIME_TERM = /(^|\s)(after|before):("[^"]*"|\S+)/gi;

/** The query without its top-level after:/before: terms, then the range's terms appended. */
export function withTimeRange(query: string, range: TimeRange): string {
  const rest = query.replace(TIME_TERM, ' ').replace(/\s+/g, ' ').trim();
  const terms = [rest, range.after ? `after:${range.after}` : '', range.before ? `before:${range.before}` : ''];
  return terms.filter(Boolean).join(' ');
}

/** Query field for each facet of the search response. */
export const FACET_FIELDS = { type: 'type', actor: 'actor', environment: 'env', outcome: 'outcome' } as const;
export type FacetName = keyof typeof FACET_FIELDS;

/** `field:"value"` (quoted: facet values are exact; a `*` in them must not become a wildcard). */
export function facetTerm(facet: FacetName, value: string): string {
  const field = FACET_FIELDS[facet];
  // The grammar has no escape inside quotes; such a value is sent bare, where only `*` is special.
  return value.includes('"') ? `${field}:${value}` : `${field}:"${value}"`;
}

/** Narrows the query to a facet value (AND); a term already present is not added twice. */
export function refineWithFacet(query: string, facet: FacetName, value: string): string {
  const term = facetTerm(facet, value);
  const trimmed = query.trim();
  if (trimmed.split(/\s+/).includes(term)) return trimmed;
  // An OR at the top level would bind the new term to its last branch only: group the old query first.
  const base = /(^|\s)OR(\s|$)/.test(trimmed) ? `(${trimmed})` : trimmed;
  return base ? `${base} ${term}` : term;
}
