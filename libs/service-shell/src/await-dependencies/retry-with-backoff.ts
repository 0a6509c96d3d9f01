/** How long to wait before attempt `attempt + 1` (attempt counts from 1): doubling from `initialMs`, capped. */
export function backoffDelay(attempt: number, policy: { initialMs: number; maxMs: number }): number {
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, attempt - 1));
}

export interface RetryOptions {
  initialMs: number;
  maxMs: number;
  /** Stop retrying once this much time has passed since the first attempt; absent: retry for as long as it takes. */
  giveUpAfterMs?: number;
  /** Time and sleeping come in from outside, so the schedule is tested without waiting. */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Told before each wait, so the caller can say what it waits for and why. */
  onRetry(info: { attempt: number; delayMs: number; elapsedMs: number; error: unknown }): void;
}

/**
 * Runs `attempt` until it resolves. A failure is followed by a wait that doubles up to `maxMs`; after
 * `giveUpAfterMs` (if set) the last error is thrown.
 */
export async function retryWithBackoff<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  const started = options.now();
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      const elapsedMs = options.now() - started;
      if (options.giveUpAfterMs !== undefined && elapsedMs >= options.giveUpAfterMs) throw error;
      const delayMs = backoffDelay(n, options);
      options.onRetry({ attempt: n, delayMs, elapsedMs, error });
      await options.sleep(delayMs);
    }
  }
}
