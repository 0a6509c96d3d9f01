import { EVENT_LIMITS, line, type FieldIssue } from '@audit/contracts';
import { fail, ok, Problems, type Result } from '../../http/problem';

const idempotencyKeyRule = line(256);

/**
 * The idempotency key of a request: the `Idempotency-Key` header, or the event's own `idempotencyKey`
 * field (single events only). Both present and different is refused rather than guessed.
 */
export function idempotencyKeyOf(header: string | string[] | undefined, bodyKey: unknown): Result<string | undefined> {
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if (fromHeader !== undefined) {
    const checked = idempotencyKeyRule.safeParse(fromHeader);
    if (!checked.success) return fail(Problems.badParameter([{ path: 'header:Idempotency-Key', message: 'must be 1-256 characters without control characters' }]));
  }
  const fromBody = typeof bodyKey === 'string' ? bodyKey : undefined;
  if (fromHeader !== undefined && fromBody !== undefined && fromHeader !== fromBody) {
    return fail(Problems.invalid('the Idempotency-Key header and the idempotencyKey field differ', [{ path: 'idempotencyKey', message: 'must equal the Idempotency-Key header when both are sent' }]));
  }
  return ok(fromHeader ?? fromBody);
}

/** The envelope of a batch, checked before its events so the answer says what is wrong with the shape. */
export function batchEventsOf(body: unknown): Result<unknown[]> {
  const issues: FieldIssue[] = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return fail(Problems.invalid('the body must be an object {"events": [...]}', [{ path: '', message: 'expected an object with an "events" array' }]));
  }
  const extra = Object.keys(body).filter((k) => k !== 'events');
  if (extra.length > 0) issues.push({ path: '', message: `unknown field(s): ${extra.join(', ')}` });
  const events = (body as { events?: unknown }).events;
  if (!Array.isArray(events)) issues.push({ path: 'events', message: 'must be an array of events' });
  else if (events.length === 0) issues.push({ path: 'events', message: 'must hold at least 1 event' });
  else if (events.length > EVENT_LIMITS.maxBatchEvents) issues.push({ path: 'events', message: `must hold at most ${EVENT_LIMITS.maxBatchEvents} events (got ${events.length})` });
  if (issues.length > 0 || !Array.isArray(events)) return fail(Problems.invalid('the batch envelope is invalid; nothing was accepted', issues));
  return ok(events);
}
