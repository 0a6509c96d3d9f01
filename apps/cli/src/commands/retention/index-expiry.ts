import type { LegalHold } from '@audit/ledger-store';

/**
 * Which of a tenant's monthly OpenSearch indices (`<prefix>-<tenant>_YYYY.MM`, apps/query README) are
 * past retention: the whole month ended more than the tenant's LONGEST retention before `now` (an index
 * holds every event type), and no active hold reaches into it (holds by change or actor have no time
 * bound, so they keep every index). Pure.
 */
export function expiredIndices(names: readonly string[], prefix: string, tenant: string, now: Date, longestRetentionDays: number, holds: readonly LegalHold[]): string[] {
  const pattern = new RegExp(`^${escape(prefix)}-${escape(tenant)}_(\\d{4})\\.(\\d{2})$`);
  const horizon = now.getTime() - longestRetentionDays * 86_400_000;
  return names.filter((name) => {
    const m = pattern.exec(name);
    if (!m) return false;
    const start = Date.UTC(Number(m[1]), Number(m[2]) - 1, 1);
    const end = Date.UTC(Number(m[1]), Number(m[2]), 1);
    if (end > horizon) return false;
    return !holds.some((h) => (h.from === null || h.from.getTime() < end) && (h.to === null || h.to.getTime() > start));
  });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}
