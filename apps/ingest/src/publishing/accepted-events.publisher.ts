import { Inject, Injectable } from '@nestjs/common';
import type { AcceptedEvent } from '@audit/contracts';
import { KafkaPublisher } from '@audit/kafka';
import { serviceSignedMessage } from '@audit/ledger-core';
import { counter, gauge, type Registry } from '@audit/observability';
import { InjectMetrics } from '@audit/service-shell';
import { PublishQueue } from './publish-queue';

export type PublishOutcome = { ok: true } | { ok: false; reason: string; overloaded: boolean };

export const PUBLISH_OPTIONS = Symbol('PUBLISH_OPTIONS');

export interface PublishOptions {
  /** A request never waits longer than this for Kafka's acks=all. */
  timeoutMs: number;
  /** Events waiting for a send beyond which requests are refused at once (503). */
  maxPendingEvents: number;
  /** Most events per coalesced send. */
  maxEventsPerSend: number;
  /** The service credential: ingest signs what it stamped, so the ledger knows the provenance is ours. */
  serviceSecrets: readonly string[];
}

/**
 * Puts accepted events on `audit.ingested.v1`, keyed by tenant (one tenant stays in one partition, in
 * order). Resolves ok only after acks=all. Concurrent requests share sends (see PublishQueue), and work
 * the log cannot take in time is refused up front: a quick 503 instead of a hanging client. A send
 * that outlives the bound may still land: the idempotency record makes the retry carry the same event
 * ids, which the ledger de-duplicates.
 */
@Injectable()
export class AcceptedEventsPublisher {
  private readonly queue: PublishQueue<AcceptedEvent>;
  private readonly refused;
  private readonly waiting;

  constructor(
    private readonly publisher: KafkaPublisher,
    @Inject(PUBLISH_OPTIONS) private readonly options: PublishOptions,
    @InjectMetrics() metrics: Registry,
  ) {
    this.queue = new PublishQueue<AcceptedEvent>({
      send: (events) => this.publisher.publish('ingested', events.map((e) => ({ key: e.tenant, ...serviceSignedMessage(options.serviceSecrets, e) })), { timeoutMs: options.timeoutMs }),
      timeoutMs: options.timeoutMs,
      maxPendingEvents: options.maxPendingEvents,
      maxEventsPerSend: options.maxEventsPerSend,
    });
    this.refused = counter(metrics, 'ingest_publish_refused_total', 'events not accepted because Kafka could not take them in time', ['reason']);
    this.waiting = gauge(metrics, 'ingest_publish_waiting_events', 'validated events waiting for the next Kafka send');
  }

  /** Why `count` more events would be refused right now (checked before any other work), if they would. */
  overloaded(count: number): string | undefined {
    const reason = this.queue.refusal(count);
    if (!reason) return undefined;
    this.refused.inc({ reason: 'overloaded' }, count);
    return `ingest is over capacity: ${reason}`;
  }

  async publish(events: readonly AcceptedEvent[]): Promise<PublishOutcome> {
    const pending = this.queue.submit([...events]);
    this.waiting.set(this.queue.stats().pendingEvents);
    const outcome = await pending;
    this.waiting.set(this.queue.stats().pendingEvents);
    if (outcome.ok) return outcome;
    this.refused.inc({ reason: outcome.kind }, events.length);
    return { ok: false, reason: outcome.reason, overloaded: outcome.kind === 'overloaded' };
  }
}
