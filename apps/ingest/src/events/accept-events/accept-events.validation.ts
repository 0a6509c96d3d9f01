import { AuditEventInput, DEFAULT_OCCURRED_AT_BOUNDS, occurredAtProblem, reservedAssertion, TIME_BOUNDS, toFieldIssues, type AuditEventInputParsed, type OccurredAtBounds, type ProblemIssue } from '@audit/contracts';
import type { EmitterScope } from '../../auth/api-key';
import { fail, ok, Problems, type Result } from '../../http/problem';

/** How far in the future an event may claim to have happened (emitters' clocks drift). */
export const MAX_CLOCK_SKEW_MS = TIME_BOUNDS.maxFutureSkewMs;

/**
 * Validates every event of a request against the canonical schema, the clock, the reserved assertions and
 * the key's scope. All problems of all events are reported at once (index + path + rule), so a batch is
 * fixed in one round. Schema problems (422) win over reserved assertions and scope problems (403): a
 * caller first learns what is wrong with the data. Reserved assertions are refused at every door,
 * whatever the credential: only our services make them, straight to the ledger with a service credential.
 */
export function validateEvents(
  candidates: readonly unknown[],
  context: { now: Date; scope?: EmitterScope; indexed: boolean; bounds?: OccurredAtBounds },
): Result<AuditEventInputParsed[]> {
  const invalid: ProblemIssue[] = [];
  const forbidden: ProblemIssue[] = [];
  const reserved: ProblemIssue[] = [];
  const events: AuditEventInputParsed[] = [];
  candidates.forEach((candidate, index) => {
    const at = context.indexed ? { index } : {};
    const parsed = AuditEventInput.safeParse(candidate);
    if (!parsed.success) {
      for (const issue of toFieldIssues(parsed.error)) invalid.push({ ...at, ...issue });
      return;
    }
    const time = occurredAtProblem(parsed.data.occurredAt, context.now, context.bounds ?? DEFAULT_OCCURRED_AT_BOUNDS);
    if (time !== undefined) {
      invalid.push({ ...at, path: 'occurredAt', message: time });
      return;
    }
    const assertion = reservedAssertion(parsed.data);
    if (assertion) reserved.push({ ...at, path: assertion.path, message: assertion.message });
    const violation = context.scope ? scopeViolation(context.scope, parsed.data) : undefined;
    if (violation) forbidden.push({ ...at, ...violation });
    events.push(parsed.data);
  });
  if (invalid.length > 0) {
    const detail = context.indexed
      ? `${new Set(invalid.map((i) => i.index)).size} of ${candidates.length} events are invalid; nothing was accepted`
      : 'the event is invalid; it was not accepted';
    return fail(Problems.invalid(detail, invalid));
  }
  if (reserved.length > 0) return fail(Problems.reserved('these events make assertions only the audit ledger itself may make; nothing was accepted', reserved));
  if (forbidden.length > 0) return fail(Problems.forbidden('the API key is not allowed to write these events; nothing was accepted', forbidden));
  return ok(events);
}

/** Why a key may not write this event (its type or source is outside the key's scope), or undefined. */
export function scopeViolation(scope: EmitterScope, event: AuditEventInputParsed) {
  if (scope.allowedTypes.length > 0 && !scope.allowedTypes.includes(event.type)) {
    return { path: 'type', message: `this API key may not write events of type ${event.type}` };
  }
  if (scope.allowedSources.length > 0) {
    const system = event.source?.system;
    if (system === undefined) return { path: 'source.system', message: `this API key requires source.system, one of: ${scope.allowedSources.join(', ')}` };
    if (!scope.allowedSources.includes(system)) return { path: 'source.system', message: `this API key may not write events from source ${system}` };
  }
  return undefined;
}
