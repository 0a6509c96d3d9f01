import { Inject, Injectable } from '@nestjs/common';
import { AcceptedEvent } from '@audit/contracts';
import { KafkaPublisher } from '@audit/kafka';
import type { Logger } from '@audit/observability';
import { InjectConfig, InjectLogger } from '@audit/service-shell';
import type { QueryConfig } from '../config';
import { signedLedgerMessages } from '../ledger-events/signed-ledger-messages';
import { CLOCK, ID_GENERATOR, type Clock, type IdGenerator } from '../clock';
import { fail, ok, Problems, type Result } from '../http/problem';
import { auditReadEvent, type ReadRecord } from './audit-read.event';

/**
 * Records every read as an `audit.read` event before the answer leaves (invariant 5). If the record
 * cannot be written the reader gets 503, not unrecorded data.
 */
@Injectable()
export class AuditReadRecorder {
  constructor(
    private readonly publisher: KafkaPublisher,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ID_GENERATOR) private readonly newId: IdGenerator,
    @InjectLogger() private readonly logger: Logger,
    @InjectConfig() private readonly config: QueryConfig,
  ) {}

  async record(read: Omit<ReadRecord, 'now' | 'id'>): Promise<Result<AcceptedEvent>> {
    const now = this.clock();
    const event = AcceptedEvent.parse(auditReadEvent({ ...read, now, id: this.newId(now) }));
    try {
      await this.publisher.publish('ingested', signedLedgerMessages(this.config.SERVICE_CREDENTIAL_SECRET, [event]), { timeoutMs: 5_000 });
      return ok(event);
    } catch (error) {
      this.logger.error({ err: error, tenant: event.tenant, eventId: event.id, endpoint: read.endpoint }, 'could not record a read');
      return fail(Problems.unavailable('the read could not be recorded in the audit log; nothing was returned'));
    }
  }
}
