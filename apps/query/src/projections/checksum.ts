import { createHash, type Hash } from 'node:crypto';

/**
 * Checksums of a projection: SHA-256 over the canonical JSON (keys sorted, no whitespace) of every row
 * or document of one tenant, in a fixed order. Two projections built from the same ledger prefix have
 * the same checksum; `rebuild` compares them before and after.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export class ProjectionChecksum {
  private readonly hash: Hash = createHash('sha256');
  count = 0;

  add(part: string, row: unknown): void {
    this.hash.update(`${part}\n${canonicalJson(row)}\n`, 'utf8');
    this.count++;
  }

  digest(): { sha256: string; rows: number } {
    return { sha256: this.hash.digest('hex'), rows: this.count };
  }
}
