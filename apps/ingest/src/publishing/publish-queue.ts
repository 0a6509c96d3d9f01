/**
 * Coalesces concurrent requests' events into few large Kafka sends, and sheds load it cannot carry.
 *
 * Why: the idempotent producer keeps one request in flight, so a send per HTTP request made every
 * request wait for all the ones before it, one broker round trip each; under overload they timed out
 * while their sends still went ahead, and the service collapsed instead of refusing work. Here:
 * - requests wait in one queue; whenever the previous send finished, everything waiting (up to
 *   `maxEventsPerSend`) goes out in one send, so throughput grows with load instead of latency;
 * - a request is refused at once (`overloaded`) when the events already waiting exceed
 *   `maxPendingEvents`, or when at the measured send rate they would not be sent within the timeout:
 *   a fast 503 the client can retry, and nothing of it was sent;
 * - a request still waiting when its time is up leaves the queue unsent (`timeout`, nothing sent); one
 *   whose send had started may still land (`timeout`, `maybeSent`), which the idempotency key covers.
 * Pure apart from timers; the send is injected.
 */
export type QueueOutcome =
  | { ok: true }
  | { ok: false; kind: 'overloaded' | 'timeout' | 'failed'; reason: string; maybeSent: boolean };

export interface PublishQueueOptions<T> {
  send(items: T[]): Promise<void>;
  /** How long a request may wait for Kafka's acknowledgement in total. */
  timeoutMs: number;
  /** Events waiting (not yet handed to a send) beyond which new requests are refused. */
  maxPendingEvents: number;
  /** Upper bound of one send (the publisher still splits a send into ≤ 512 KiB produce requests). */
  maxEventsPerSend: number;
  now?: () => number;
}

interface Entry<T> {
  items: T[];
  settled: boolean;
  inFlight: boolean;
  timer: NodeJS.Timeout | undefined;
  resolve(outcome: QueueOutcome): void;
}

export interface QueueStats {
  pendingEvents: number;
  pendingRequests: number;
  /** Events per second of recent sends of at least a quarter of the send bound (exponentially weighted), 0 before the first. */
  sendRate: number;
}

export class PublishQueue<T> {
  private readonly queue: Entry<T>[] = [];
  private pendingEvents = 0;
  private sending = false;
  private rate = 0;
  private readonly now: () => number;

  constructor(private readonly options: PublishQueueOptions<T>) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Why a request of `count` events would be refused now, or undefined when it would be taken. */
  refusal(count: number): string | undefined {
    const waiting = this.pendingEvents;
    if (waiting > 0 && waiting + count > this.options.maxPendingEvents) {
      return `${waiting} events are already waiting for Kafka (limit ${this.options.maxPendingEvents})`;
    }
    // Judged only once a full send is waiting, against the rate of full sends: small sends are mostly
    // round-trip latency and would make the capacity look far lower than it is.
    if (waiting >= this.options.maxEventsPerSend && this.rate > 0) {
      const expectedMs = ((waiting + count) / this.rate) * 1000;
      if (expectedMs > this.options.timeoutMs) {
        return `the ${waiting} events waiting would take about ${Math.round(expectedMs)} ms to send at the current ${Math.round(this.rate)} events/s (limit ${this.options.timeoutMs} ms)`;
      }
    }
    return undefined;
  }

  submit(items: T[]): Promise<QueueOutcome> {
    if (items.length === 0) return Promise.resolve({ ok: true });
    const refused = this.refusal(items.length);
    if (refused) return Promise.resolve({ ok: false, kind: 'overloaded', reason: `ingest is over capacity: ${refused}`, maybeSent: false });
    return new Promise<QueueOutcome>((resolve) => {
      const entry: Entry<T> = { items, settled: false, inFlight: false, timer: undefined, resolve };
      entry.timer = setTimeout(() => this.expire(entry), this.options.timeoutMs);
      this.queue.push(entry);
      this.pendingEvents += items.length;
      void this.drain();
    });
  }

  stats(): QueueStats {
    return { pendingEvents: this.pendingEvents, pendingRequests: this.queue.length, sendRate: this.rate };
  }

  private expire(entry: Entry<T>): void {
    if (entry.settled) return;
    if (!entry.inFlight) {
      const at = this.queue.indexOf(entry);
      if (at >= 0) {
        this.queue.splice(at, 1);
        this.pendingEvents -= entry.items.length;
      }
      this.settle(entry, { ok: false, kind: 'timeout', reason: `not sent: Kafka did not take it within ${this.options.timeoutMs} ms`, maybeSent: false });
      return;
    }
    this.settle(entry, { ok: false, kind: 'timeout', reason: `Kafka did not acknowledge within ${this.options.timeoutMs} ms`, maybeSent: true });
  }

  private settle(entry: Entry<T>, outcome: QueueOutcome): void {
    if (entry.settled) return;
    entry.settled = true;
    clearTimeout(entry.timer);
    entry.resolve(outcome);
  }

  private async drain(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length > 0) {
        const batch: Entry<T>[] = [];
        let count = 0;
        while (this.queue.length > 0) {
          const next = this.queue[0] as Entry<T>;
          if (batch.length > 0 && count + next.items.length > this.options.maxEventsPerSend) break;
          this.queue.shift();
          batch.push(next);
          count += next.items.length;
        }
        this.pendingEvents -= count;
        for (const entry of batch) entry.inFlight = true;
        const started = this.now();
        try {
          await this.options.send(batch.flatMap((e) => e.items));
          if (count * 4 >= this.options.maxEventsPerSend) {
            const observed = count / Math.max((this.now() - started) / 1000, 1e-3);
            this.rate = this.rate === 0 ? observed : 0.7 * this.rate + 0.3 * observed;
          }
          for (const entry of batch) this.settle(entry, { ok: true });
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          for (const entry of batch) this.settle(entry, { ok: false, kind: 'failed', reason, maybeSent: true });
        }
      }
    } finally {
      this.sending = false;
    }
  }
}
