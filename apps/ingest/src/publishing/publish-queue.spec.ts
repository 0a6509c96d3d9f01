import { PublishQueue, type QueueOutcome } from './publish-queue';

/** A send we complete by hand, recording what each send carried. */
function controlledSend() {
  const sends: { items: number[]; finish(error?: Error): void }[] = [];
  const send = (items: number[]) =>
    new Promise<void>((resolve, reject) => {
      sends.push({ items, finish: (error) => (error ? reject(error) : resolve()) });
    });
  return { sends, send };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('PublishQueue', () => {
  afterEach(() => jest.useRealTimers());

  it('sends what arrives while a send is in flight together, in arrival order', async () => {
    const { sends, send } = controlledSend();
    const q = new PublishQueue<number>({ send, timeoutMs: 5_000, maxPendingEvents: 100, maxEventsPerSend: 100 });
    const first = q.submit([1]);
    await flush();
    const rest = [q.submit([2, 3]), q.submit([4]), q.submit([5, 6])];
    await flush();
    expect(sends.map((s) => s.items)).toEqual([[1]]);
    sends[0]?.finish();
    await expect(first).resolves.toEqual({ ok: true });
    await flush();
    expect(sends.map((s) => s.items)).toEqual([[1], [2, 3, 4, 5, 6]]);
    sends[1]?.finish();
    await expect(Promise.all(rest)).resolves.toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(q.stats()).toMatchObject({ pendingEvents: 0, pendingRequests: 0 });
  });

  it('keeps each send within the bound without splitting a request', async () => {
    const { sends, send } = controlledSend();
    const q = new PublishQueue<number>({ send, timeoutMs: 5_000, maxPendingEvents: 100, maxEventsPerSend: 3 });
    const all = [q.submit([0]), q.submit([1, 2]), q.submit([3, 4]), q.submit([5, 6, 7, 8])];
    await flush();
    for (let i = 0; i < 4; i++) {
      sends[i]?.finish();
      await flush();
    }
    await Promise.all(all);
    expect(sends.map((s) => s.items)).toEqual([[0], [1, 2], [3, 4], [5, 6, 7, 8]]);
  });

  it('refuses at once, sending nothing, when too many events are waiting', async () => {
    const { sends, send } = controlledSend();
    const q = new PublishQueue<number>({ send, timeoutMs: 5_000, maxPendingEvents: 4, maxEventsPerSend: 100 });
    const inFlight = q.submit([1]);
    await flush();
    const waiting = q.submit([2, 3, 4]);
    const refused = await q.submit([5, 6]);
    expect(refused).toEqual({ ok: false, kind: 'overloaded', reason: expect.stringContaining('3 events are already waiting for Kafka (limit 4)'), maybeSent: false });
    expect(q.refusal(1)).toBeUndefined();
    sends[0]?.finish();
    await flush();
    sends[1]?.finish();
    await expect(Promise.all([inFlight, waiting])).resolves.toEqual([{ ok: true }, { ok: true }]);
    expect(sends.flatMap((s) => s.items)).toEqual([1, 2, 3, 4]);
  });

  it('refuses when, at the measured rate of full sends, the waiting events would outlast the timeout', async () => {
    let clock = 0;
    const { sends, send } = controlledSend();
    const q = new PublishQueue<number>({ send, timeoutMs: 1_000, maxPendingEvents: 1_000_000, maxEventsPerSend: 10, now: () => clock });
    const full = q.submit(Array.from({ length: 10 }, (_, i) => i));
    await flush();
    clock += 1_000; // 10 events in 1 s: 10 events/s
    sends[0]?.finish();
    await full;
    const blocker = q.submit([0]);
    await flush();
    const queued = q.submit(Array.from({ length: 10 }, (_, i) => i));
    expect(q.refusal(1)).toMatch(/would take about 1100 ms to send at the current 10 events\/s \(limit 1000 ms\)/);
    const refused: QueueOutcome = await q.submit([1]);
    expect(refused).toMatchObject({ ok: false, kind: 'overloaded', maybeSent: false });
    sends[1]?.finish();
    await flush();
    sends[2]?.finish();
    await Promise.all([blocker, queued]);
  });

  it('lets a request that waited too long leave the queue unsent', async () => {
    jest.useFakeTimers();
    const { sends, send } = controlledSend();
    const q = new PublishQueue<number>({ send, timeoutMs: 1_000, maxPendingEvents: 100, maxEventsPerSend: 100 });
    const inFlight = q.submit([1]);
    await Promise.resolve();
    const waiting = q.submit([2]);
    jest.advanceTimersByTime(1_001);
    await expect(waiting).resolves.toEqual({ ok: false, kind: 'timeout', reason: expect.stringContaining('not sent'), maybeSent: false });
    await expect(inFlight).resolves.toEqual({ ok: false, kind: 'timeout', reason: expect.stringContaining('did not acknowledge'), maybeSent: true });
    expect(q.stats().pendingEvents).toBe(0);
    sends[0]?.finish();
    jest.useRealTimers();
    await flush();
    expect(sends.map((s) => s.items)).toEqual([[1]]); // 2 was never handed to Kafka
  });

  it('fails every request of a failed send and carries on with the next', async () => {
    const { sends, send } = controlledSend();
    const q = new PublishQueue<number>({ send, timeoutMs: 5_000, maxPendingEvents: 100, maxEventsPerSend: 100 });
    const a = q.submit([1]);
    await flush();
    const b = q.submit([2]);
    sends[0]?.finish(new Error('broker down'));
    await expect(a).resolves.toEqual({ ok: false, kind: 'failed', reason: 'broker down', maybeSent: true });
    await flush();
    sends[1]?.finish();
    await expect(b).resolves.toEqual({ ok: true });
  });
});
