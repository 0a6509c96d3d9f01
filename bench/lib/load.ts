import { performance } from 'node:perf_hooks';
import type { AuditEventInput } from '@audit/contracts';
import { EventMix } from './events';
import type { Tracker } from './tracker';

export interface Emitter {
  tenant: string;
  token: string;
}

export interface LoadResult {
  requests: number;
  events: number;
  acceptedEvents: number;
  refusedRequests: number;
  retries: number;
  /** HTTP status (or error name) → count, for everything but 202. */
  errors: Record<string, number>;
  /** Scheduled send → 202 of each request, ms. */
  acceptMs: number[];
  startedAt: number;
  endedAt: number;
}

/**
 * Sends batches to ingest's `POST /v1/events:batch`, round-robin over tenants, each request with its own
 * Idempotency-Key. Open loop: requests leave on a fixed schedule whatever the answers, and every latency
 * is measured from the scheduled time (no coordinated omission). Closed loop: `concurrency` senders back
 * to back, to find saturation.
 */
export class LoadGenerator {
  private n = 0;
  private requests = 0;
  private readonly mixes: EventMix[];

  constructor(
    private readonly ingestUrl: () => string,
    private readonly emitters: Emitter[],
    private readonly tracker: Tracker,
    run: string,
    /** Retry 503/connection errors with the same Idempotency-Key (the fault suite: a well-behaved emitter). */
    private readonly retry = false,
  ) {
    this.mixes = emitters.map((_, i) => new EventMix(`${run}-${i}`));
  }

  get sent(): number {
    return this.n;
  }

  async openLoop(phase: string, rate: number, seconds: number, batch: number, shouldStop: () => boolean = () => false): Promise<LoadResult> {
    const result = emptyResult();
    const intervalMs = (batch / rate) * 1000;
    const t0 = performance.now();
    result.startedAt = t0;
    const end = t0 + seconds * 1000;
    const inFlight = new Set<Promise<void>>();
    let k = 0;
    while (!shouldStop()) {
      const now = performance.now();
      const due = t0 + k * intervalMs;
      if (due >= end) break;
      if (due > now) {
        await new Promise((r) => setTimeout(r, Math.max(0, Math.min(due - now, 50))));
        continue;
      }
      const p = this.send(phase, batch, due, result).finally(() => inFlight.delete(p));
      inFlight.add(p);
      k++;
    }
    await Promise.all(inFlight);
    result.endedAt = performance.now();
    return result;
  }

  async closedLoop(phase: string, concurrency: number, seconds: number, batch: number): Promise<LoadResult> {
    const result = emptyResult();
    const t0 = performance.now();
    result.startedAt = t0;
    const end = t0 + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) await this.send(phase, batch, performance.now(), result);
      }),
    );
    result.endedAt = performance.now();
    return result;
  }

  /** For events that entered by another door (Kafka intake, direct publish) once the broker acknowledged them. */
  markAccepted(n: number): void {
    this.tracker.accepted[n] = true;
  }

  /** `size` new tracked events for `tenant` (also for doors other than HTTP: intake, direct publishes). */
  allocate(phase: string, tenant: number, size: number, scheduledAt: number): { first: number; events: AuditEventInput[] } {
    const first = this.n;
    const now = new Date();
    const events: AuditEventInput[] = [];
    for (let i = 0; i < size; i++) {
      const n = this.n++;
      this.tracker.schedule(n, tenant, scheduledAt, phase);
      events.push(this.mixes[tenant]!.next(n, now));
    }
    return { first, events };
  }

  /** One request of `size` events for the next tenant; with `retry`, until ingest takes it. */
  async send(phase: string, size: number, scheduledAt: number, result: LoadResult): Promise<void> {
    const tenant = this.requests++ % this.emitters.length;
    const { first, events } = this.allocate(phase, tenant, size, scheduledAt);
    const body = JSON.stringify({ events });
    if (await this.post(tenant, first, body, scheduledAt, result)) {
      this.sentBodies.push({ tenant, first, body });
      if (this.sentBodies.length > 500) this.sentBodies.shift();
    }
  }

  /** Requests that got 202, kept (the last few hundred) so the fault suite can deliver them again. */
  readonly sentBodies: { tenant: number; first: number; body: string }[] = [];

  /** POSTs one batch; true when ingest answered 202. */
  async post(tenant: number, first: number, body: string, scheduledAt: number, result: LoadResult): Promise<boolean> {
    const emitter = this.emitters[tenant]!;
    const size = (JSON.parse(body) as { events: unknown[] }).events.length;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${emitter.token}`, 'idempotency-key': `bench-${first}` };
    result.requests++;
    result.events += size;
    for (let attempt = 0; ; attempt++) {
      let status: string;
      try {
        const res = await fetch(`${this.ingestUrl()}/v1/events:batch`, { method: 'POST', headers, body, signal: AbortSignal.timeout(30_000) });
        await res.arrayBuffer();
        status = String(res.status);
      } catch (error) {
        status = error instanceof Error ? (error.cause instanceof Error ? (error.cause as NodeJS.ErrnoException).code ?? error.cause.name : error.name) : 'error';
      }
      if (status === '202') {
        for (let n = first; n < first + size; n++) this.tracker.accepted[n] = true;
        result.acceptedEvents += size;
        result.acceptMs.push(performance.now() - scheduledAt);
        return true;
      }
      result.errors[status] = (result.errors[status] ?? 0) + 1;
      const retryable = status === '503' || status === '429' || !/^\d+$/.test(status);
      if (!this.retry || !retryable || attempt >= 200) {
        result.refusedRequests++;
        return false;
      }
      result.retries++;
      await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** Math.min(attempt, 4))));
    }
  }
}

export function emptyResult(): LoadResult {
  return { requests: 0, events: 0, acceptedEvents: 0, refusedRequests: 0, retries: 0, errors: {}, acceptMs: [], startedAt: 0, endedAt: 0 };
}
