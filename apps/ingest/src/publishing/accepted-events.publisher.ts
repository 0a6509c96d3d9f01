import { Inject, Injectable } from '@nestjs/common';
import type { AcceptedEvent } from '@audit/contracts';
import { KafkaPublisher } from '@audit/kafka';

export type PublishOutcome = { ok: true } | { ok: false; reason: string };

export const PUBLISH_TIMEOUT_MS = Symbol('PUBLISH_TIMEOUT_MS');

/**
 * Puts accepted events on `audit.ingested.v1`, keyed by tenant (one tenant stays in one partition, in
 * order). Resolves ok only after acks=all; a request never waits longer than the bound, so a dead broker
 * turns into a quick 503 instead of a hanging client. A send that outlives the bound may still land: the
 * idempotency record makes the retry carry the same event ids, which the ledger de-duplicates.
 */
@Injectable()
export class AcceptedEventsPublisher {
  constructor(
    private readonly publisher: KafkaPublisher,
    @Inject(PUBLISH_TIMEOUT_MS) private readonly timeoutMs: number,
  ) {}

  async publish(events: readonly AcceptedEvent[]): Promise<PublishOutcome> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<PublishOutcome>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, reason: `Kafka did not acknowledge within ${this.timeoutMs} ms` }), this.timeoutMs);
    });
    const sent = this.publisher
      .publish(
        'ingested',
        events.map((e) => ({ key: e.tenant, value: e })),
        { timeoutMs: this.timeoutMs },
      )
      .then(
        (): PublishOutcome => ({ ok: true }),
        (error: unknown): PublishOutcome => ({ ok: false, reason: error instanceof Error ? error.message : String(error) }),
      );
    try {
      return await Promise.race([sent, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}
