import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Principal } from '@audit/auth';
import { AcceptedEvent, serviceProvenance, uuidv7 } from '@audit/contracts';
import { KafkaPublisher, type Kafka } from '@audit/kafka';
import { serviceSignedMessage } from '@audit/ledger-core';
import type { Logger } from '@audit/observability';
import { InjectConfig, InjectKafka, InjectLogger } from '@audit/service-shell';
import type { LedgerConfig } from '../app.module';

export const READS_CLOCK = Symbol('READS_CLOCK');

interface Pending {
  event: AcceptedEvent;
  settle: (recorded: boolean) => void;
}

/**
 * Records reads of checkpoints and proofs as `audit.read` events on `audit.ingested.v1` (the ledger then
 * commits them like any other event) before the answer leaves; a read that cannot be recorded is not
 * answered. Reads arriving together share one Kafka send, flushed on the next turn of the event loop.
 */
@Injectable()
export class LedgerReadsRecorder implements OnModuleDestroy {
  private readonly publisher: KafkaPublisher;
  private pending: Pending[] = [];

  constructor(
    @InjectKafka() kafka: Kafka,
    @InjectConfig() private readonly config: LedgerConfig,
    @InjectLogger() private readonly logger: Logger,
    @Inject(READS_CLOCK) private readonly clock: () => Date,
  ) {
    this.publisher = new KafkaPublisher(kafka, { namespace: config.KAFKA_TOPIC_NAMESPACE });
  }

  /** True once Kafka has the record. */
  record(principal: Principal, endpoint: string, query: Record<string, string | number | undefined>, resultCount: number): Promise<boolean> {
    const now = this.clock();
    const at = now.toISOString();
    const event = AcceptedEvent.parse({
      version: 1,
      type: 'audit.read',
      occurredAt: at,
      actor: { id: principal.sub, type: 'user', roles: [...principal.roles], teams: [...principal.groups], ...(principal.name ? { displayName: principal.name } : {}) },
      resource: { kind: 'audit-query', id: endpoint, environment: 'audit' },
      source: { system: 'ledger' },
      outcome: 'succeeded',
      details: { endpoint, query: Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)), resultCount },
      tenant: principal.tenant,
      id: uuidv7(now),
      receivedAt: at,
      provenance: serviceProvenance('ledger'),
    });
    return new Promise((settle) => {
      if (this.pending.push({ event, settle }) === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      // Signed: the ledger appends a reserved assertion (audit.read) only with the service credential.
      await this.publisher.publish('ingested', batch.map((p) => ({ key: p.event.tenant, ...serviceSignedMessage(this.config.SERVICE_CREDENTIAL_SECRET, p.event) })), { timeoutMs: 5_000 });
      for (const p of batch) p.settle(true);
    } catch (error) {
      this.logger.error({ err: error, reads: batch.length }, 'could not record reads');
      for (const p of batch) p.settle(false);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.publisher.disconnect().catch(() => undefined);
  }
}
