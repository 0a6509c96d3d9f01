import { backoffDelay, retryWithBackoff, type RetryOptions } from './retry-with-backoff';

/** A clock that only moves when the code under test sleeps. */
function fakeTime(): Pick<RetryOptions, 'now' | 'sleep'> & { slept: number[] } {
  let t = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => t,
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
    },
  };
}

function failingTimes(n: number, value = 'up'): { attempt: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    calls: () => calls,
    attempt: async () => {
      calls++;
      if (calls <= n) throw new Error(`connect ECONNREFUSED (call ${calls})`);
      return value;
    },
  };
}

describe('backoffDelay', () => {
  it('doubles from the initial delay and stops at the cap', () => {
    const policy = { initialMs: 500, maxMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((a) => backoffDelay(a, policy))).toEqual([500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000]);
  });
});

describe('retryWithBackoff', () => {
  it('returns the first success, having waited the backoff between failures and said so each time', async () => {
    const time = fakeTime();
    const target = failingTimes(3);
    const told: { attempt: number; delayMs: number; elapsedMs: number; message: string }[] = [];
    const result = await retryWithBackoff(target.attempt, {
      ...time,
      initialMs: 100,
      maxMs: 250,
      onRetry: ({ attempt, delayMs, elapsedMs, error }) => told.push({ attempt, delayMs, elapsedMs, message: (error as Error).message }),
    });
    expect(result).toBe('up');
    expect(target.calls()).toBe(4);
    expect(time.slept).toEqual([100, 200, 250]);
    expect(told).toEqual([
      { attempt: 1, delayMs: 100, elapsedMs: 0, message: 'connect ECONNREFUSED (call 1)' },
      { attempt: 2, delayMs: 200, elapsedMs: 100, message: 'connect ECONNREFUSED (call 2)' },
      { attempt: 3, delayMs: 250, elapsedMs: 300, message: 'connect ECONNREFUSED (call 3)' },
    ]);
  });

  it('does not wait at all when the first attempt succeeds', async () => {
    const time = fakeTime();
    const onRetry = jest.fn();
    await expect(retryWithBackoff(failingTimes(0).attempt, { ...time, initialMs: 100, maxMs: 1_000, onRetry })).resolves.toBe('up');
    expect(time.slept).toEqual([]);
    expect(onRetry).not.toHaveBeenCalled();
  });

  it('without a limit keeps waiting through many failures (a dependency that comes up late)', async () => {
    const time = fakeTime();
    const target = failingTimes(200);
    await expect(retryWithBackoff(target.attempt, { ...time, initialMs: 500, maxMs: 10_000, onRetry: () => undefined })).resolves.toBe('up');
    expect(target.calls()).toBe(201);
  });

  it('with a limit throws the last error once the limit has passed', async () => {
    const time = fakeTime();
    const target = failingTimes(1_000);
    await expect(
      retryWithBackoff(target.attempt, { ...time, initialMs: 100, maxMs: 1_000, giveUpAfterMs: 3_000, onRetry: () => undefined }),
    ).rejects.toThrow(/ECONNREFUSED \(call 7\)/);
    // Calls at 0, 100, 300, 700, 1500, 2500 (still under 3000: wait once more) and 3500, which is past it.
    expect(time.slept).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });
});
