import { createHash } from 'node:crypto';

/** 429 and 503 say "later"; 502/504 are proxies in front of ingest failing. Everything else is final. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504;
}

/**
 * Exponential backoff with full jitter, capped; a server's Retry-After (seconds) is honoured as the
 * minimum wait, so a throttled CLI never hammers the service.
 */
export function retryDelayMs(attempt: number, retryAfter: string | null, random: number, options = { baseMs: 250, maxMs: 15_000 }): number {
  const backoff = Math.min(options.maxMs, options.baseMs * 2 ** (attempt - 1)) * random;
  const seconds = retryAfter !== null && /^\d{1,5}$/.test(retryAfter.trim()) ? Number(retryAfter) : 0;
  return Math.min(Math.max(backoff, seconds * 1000), Math.max(options.maxMs, seconds * 1000));
}

/**
 * Default idempotency key: derived from the exact request body, so re-running the same pipeline step
 * (not just retrying inside one run) never records the same event twice.
 */
export function contentIdempotencyKey(body: string): string {
  return `emit-${createHash('sha256').update(body, 'utf8').digest('hex').slice(0, 40)}`;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** JSON lines: blank lines and `#` comments skipped; a bad line is reported with its number. */
export function parseJsonLines(text: string): { ok: true; events: unknown[] } | { ok: false; error: string } {
  const events: unknown[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    try {
      events.push(JSON.parse(line));
    } catch (error) {
      return { ok: false, error: `line ${i + 1}: not valid JSON (${error instanceof Error ? error.message : String(error)})` };
    }
  }
  return { ok: true, events };
}
