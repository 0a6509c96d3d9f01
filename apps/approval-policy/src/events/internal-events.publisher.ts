import { Inject, Injectable } from '@nestjs/common';
import { AcceptedEvent, serviceProvenance, uuidv7, type AuditEventInput, type Provenance } from '@audit/contracts';
import { KafkaPublisher } from '@audit/kafka';
import { serviceSignedMessage } from '@audit/ledger-core';
import { InjectConfig } from '@audit/service-shell';
import type { ApprovalPolicyConfig } from '../app.module';

export const SOURCE = { system: 'approval-policy' } as const;
/**
 * Who asserts this service's own records (decisions, evaluations, published policies). The story trusts a
 * `gate.decided` only with this provenance (`@audit/change-lifecycle`), and the ledger appends it only with
 * the service credential this publisher signs with.
 */
export const SERVICE_PROVENANCE: Provenance = serviceProvenance('approval-policy');

interface Waiting {
  events: AcceptedEvent[];
  resolve(): void;
  reject(error: unknown): void;
}

/** Most events in one produce request while another is in flight. */
const MAX_GROUP = 500;

/**
 * The service's decisions are audit events too. As a trusted internal emitter it stamps them the way
 * ingest would (UUIDv7 id, receivedAt, tenant, provenance) and publishes them to `audit.ingested.v1`
 * with the service credential, where the ledger checks it and commits them like any other event.
 *
 * Group commit: the idempotent producer allows one request in flight, so callers arriving while a send
 * is in flight are sent together in the next one. Each caller still resolves only once Kafka (acks=all)
 * has its own events; a failed send fails every caller in it.
 */
@Injectable()
export class InternalEventsPublisher {
  private queue: Waiting[] = [];
  private sending = false;

  constructor(
    @Inject(KafkaPublisher) private readonly publisher: KafkaPublisher,
    @InjectConfig() private readonly config: ApprovalPolicyConfig,
  ) {}

  /**
   * `provenance`: who asserts it — this service, unless the event records what a verified user asserted
   * through this service's API (an approval: the token's issuer, subject, roles and groups).
   */
  stamp(tenant: string, input: AuditEventInput, now: Date, id: string = uuidv7(now), provenance: Provenance = SERVICE_PROVENANCE): AcceptedEvent {
    return AcceptedEvent.parse({ ...input, source: input.source ?? SOURCE, tenant, id, receivedAt: now.toISOString(), provenance });
  }

  /** Resolves once Kafka (acks=all) has them: only then may a caller act on the decision. */
  publish(events: AcceptedEvent[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ events, resolve, reject });
      if (!this.sending) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      while (this.queue.length > 0) {
        const group: Waiting[] = [];
        let size = 0;
        while (this.queue.length > 0 && (group.length === 0 || size + (this.queue[0]?.events.length ?? 0) <= MAX_GROUP)) {
          const next = this.queue.shift() as Waiting;
          group.push(next);
          size += next.events.length;
        }
        try {
          await this.publisher.publish(
            'ingested',
            group.flatMap((w) => w.events.map((e) => ({ key: e.tenant, ...serviceSignedMessage(this.config.SERVICE_CREDENTIAL_SECRET, e) }))),
            { timeoutMs: 10_000 },
          );
          for (const w of group) w.resolve();
        } catch (error) {
          for (const w of group) w.reject(error);
        }
      }
    } finally {
      this.sending = false;
    }
  }
}
