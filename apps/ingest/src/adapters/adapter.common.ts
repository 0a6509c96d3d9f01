import type { AuditEventInput } from '@audit/contracts';

/** What an adapter produces: candidate events (validated by the canonical schema afterwards), or why not. */
export type AdapterResult = { ok: true; events: AuditEventInput[] } | { ok: false; issues: { index?: number; path: string; message: string }[] };

/** Foreign names (`Production EU`, `Hello-World`) → our lowercase slugs. */
export function toSlug(value: string, max = 64): string {
  const s = value.toLowerCase().replace(/[^a-z0-9._:/-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, max);
  return s === '' ? 'unknown' : s;
}
