import { Inject, Injectable } from '@nestjs/common';
import { AcceptedEvent, uuidv7, type AuditEventInput } from '@audit/contracts';
import { KafkaPublisher } from '@audit/kafka';

export const SOURCE = { system: 'approval-policy' } as const;

/**
 * The service's decisions are audit events too. As a trusted internal emitter it stamps them the way
 * ingest would (UUIDv7 id, receivedAt, tenant) and publishes them to `audit.ingested.v1`, where the
 * ledger commits them like any other event.
 */
@Injectable()
export class InternalEventsPublisher {
  constructor(@Inject(KafkaPublisher) private readonly publisher: KafkaPublisher) {}

  stamp(tenant: string, input: AuditEventInput, now: Date, id: string = uuidv7(now)): AcceptedEvent {
    return AcceptedEvent.parse({ ...input, source: input.source ?? SOURCE, tenant, id, receivedAt: now.toISOString() });
  }

  /** Resolves once Kafka (acks=all) has them: only then may a caller act on the decision. */
  async publish(events: AcceptedEvent[]): Promise<void> {
    await this.publisher.publish(
      'ingested',
      events.map((e) => ({ key: e.tenant, value: e })),
      { timeoutMs: 10_000 },
    );
  }
}
