/** What one delivery attempt came to. */
export type AttemptOutcome =
  | { kind: 'response'; status: number; retryAfter?: string | null; body?: string }
  | { kind: 'timeout' }
  | { kind: 'network'; error: string };

/**
 * What to do next:
 * - `delivered`: the receiver acknowledged (2xx); store the position.
 * - `retry`: a transient failure (5xx, 408, 429, timeout, connection error); wait `delayMs` and send again.
 * - `split`: 413 with more than one event; send the halves separately.
 * - `rejected`: the receiver refuses the request as wrong (other 4xx: bad token, wrong index, bad URL).
 *   That is a configuration error: the sink logs it, waits the long `delayMs`, and tries again, holding its
 *   position — it never skips the records, so fixing the configuration (or the receiver) resumes delivery.
 */
export type Decision =
  | { action: 'delivered' }
  | { action: 'retry'; delayMs: number; reason: string }
  | { action: 'split'; reason: string }
  | { action: 'rejected'; delayMs: number; reason: string };

export interface RetryPolicy {
  retryBaseMs: number;
  retryMaxMs: number;
  rejectedRetryMs: number;
}

/** Retry-After is honoured up to this (a receiver asking for a day would otherwise stall the sink silently). */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * `attempt` is 1 for the first failure of a batch. `random` in [0, 1) spreads the delays of several
 * instances (jitter: between half and all of the exponential delay).
 */
export function decide(outcome: AttemptOutcome, attempt: number, batchSize: number, policy: RetryPolicy, now: Date = new Date(), random: () => number = Math.random): Decision {
  const backoff = () => backoffDelay(attempt, policy, random);
  if (outcome.kind === 'timeout') return { action: 'retry', delayMs: backoff(), reason: 'timed out' };
  if (outcome.kind === 'network') return { action: 'retry', delayMs: backoff(), reason: outcome.error };
  const { status } = outcome;
  if (status >= 200 && status < 300) return { action: 'delivered' };
  const reason = `HTTP ${status}${outcome.body ? `: ${outcome.body.slice(0, 200)}` : ''}`;
  if (status === 429 || status === 503) {
    const asked = parseRetryAfter(outcome.retryAfter, now);
    return { action: 'retry', delayMs: asked ?? backoff(), reason };
  }
  if (status >= 500 || status === 408) return { action: 'retry', delayMs: backoff(), reason };
  if (status === 413 && batchSize > 1) return { action: 'split', reason };
  return { action: 'rejected', delayMs: policy.rejectedRetryMs, reason };
}

/** Exponential from `retryBaseMs`, doubling per attempt, capped at `retryMaxMs`, with jitter. */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'retryBaseMs' | 'retryMaxMs'>, random: () => number = Math.random): number {
  const exponential = Math.min(policy.retryMaxMs, policy.retryBaseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.round(exponential / 2 + (exponential / 2) * random());
}

/** `Retry-After` as delta-seconds or an HTTP date, in milliseconds from `now`; undefined when absent or invalid. */
export function parseRetryAfter(value: string | null | undefined, now: Date = new Date()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(MAX_RETRY_AFTER_MS, Number(text) * 1000);
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at - now.getTime()));
}
