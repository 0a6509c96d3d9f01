import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * The `search_after` position of the last hit on a page, handed to clients as an opaque base64url token.
 * It is bound to the query it came from (a short hash), so a cursor cannot be replayed against another
 * query, and it is validated like any other input on the way back in.
 */
const CursorBody = z.strictObject({
  v: z.literal(1),
  /** occurredAt of the last hit, epoch milliseconds (what OpenSearch sorts a date by). */
  t: z.number().int().min(0).max(8_640_000_000_000_000),
  /** seq of the last hit: the tiebreak within one millisecond. */
  s: z.number().int().positive(),
  /** Hash of the normalised query text. */
  q: z.string().regex(/^[A-Za-z0-9_-]{16}$/),
});
export type SearchCursor = z.output<typeof CursorBody>;

export const MAX_CURSOR_LENGTH = 256;

export function queryFingerprint(query: string): string {
  return createHash('sha256').update(query.trim(), 'utf8').digest('base64url').slice(0, 16);
}

export function encodeCursor(occurredAtMs: number, seq: number, query: string): string {
  const body: SearchCursor = { v: 1, t: occurredAtMs, s: seq, q: queryFingerprint(query) };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

export type CursorResult = { ok: true; cursor: SearchCursor } | { ok: false; reason: string };

export function decodeCursor(token: string, query: string): CursorResult {
  if (token.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) return { ok: false, reason: 'is not a cursor returned by this API' };
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'is not a cursor returned by this API' };
  }
  const parsed = CursorBody.safeParse(json);
  if (!parsed.success) return { ok: false, reason: 'is not a cursor returned by this API' };
  if (parsed.data.q !== queryFingerprint(query)) return { ok: false, reason: 'belongs to a different query; start again without a cursor' };
  return { ok: true, cursor: parsed.data };
}
