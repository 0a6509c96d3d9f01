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

interface Pending {
  event: AcceptedEvent;
  endpoint: string;
  settle: (result: Result<AcceptedEvent>) => void;
}

/**
 * Records every read as an `audit.read` event before the answer leaves (invariant 5). If the record
 * cannot be written the reader gets 503, not unrecorded data.
 *
 * Reads that arrive together share one Kafka send: the first read of a batch schedules a flush on the next
 * turn of the event loop, every read until then joins it, and each waits for that one acknowledgement. A
 * console page that fires eight reads costs one round trip, not eight.
 */
@Injectable()
export class AuditReadRecorder {
  private pending: Pending[] = [];

  constructor(
    private readonly publisher: KafkaPublisher,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ID_GENERATOR) private readonly newId: IdGenerator,
    @InjectLogger() private readonly logger: Logger,
    @InjectConfig() private readonly config: QueryConfig,
  ) {}

  record(read: Omit<ReadRecord, 'now' | 'id'>): Promise<Result<AcceptedEvent>> {
    const now = this.clock();
    const event = AcceptedEvent.parse(auditReadEvent({ ...read, now, id: this.newId(now) }));
    return new Promise((settle) => {
      if (this.pending.push({ event, endpoint: read.endpoint, settle }) === 1) setImmediate(() => void this.flush());
    });
  }

  /** Records the read of an answer that is ready, and hands the answer back only once it is recorded. */
  async recorded<T>(read: Omit<ReadRecord, 'now' | 'id' | 'resultCount'>, result: Result<T>, resultCount: (value: T) => number): Promise<Result<T>> {
    if (!result.ok) return result;
    const recorded = await this.record({ ...read, resultCount: resultCount(result.value) });
    return recorded.ok ? result : fail(recorded.error);
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      await this.publisher.publish('ingested', signedLedgerMessages(this.config.SERVICE_CREDENTIAL_SECRET, batch.map((p) => p.event)), { timeoutMs: 5_000 });
      for (const p of batch) p.settle(ok(p.event));
    } catch (error) {
      for (const p of batch) {
        this.logger.error({ err: error, tenant: p.event.tenant, eventId: p.event.id, endpoint: p.endpoint }, 'could not record a read');
        p.settle(fail(Problems.unavailable('the read could not be recorded in the audit log; nothing was returned')));
      }
    }
  }
}
