import { Inject, Injectable } from '@nestjs/common';
import type { AuditEventInputParsed, BatchAcceptedResponse, Provenance } from '@audit/contracts';
import type { Logger } from '@audit/observability';
import { InjectLogger } from '@audit/service-shell';
import { CLOCK, ID_GENERATOR, type Clock, type IdGenerator } from '../../clock';
import { fail, ok, Problems, type Result } from '../../http/problem';
import { decideIdempotency, type IdempotencyRecord } from '../../idempotency/idempotency.decision';
import { IdempotencyRepository } from '../../idempotency/idempotency.repository';
import { AcceptedEventsPublisher } from '../../publishing/accepted-events.publisher';
import type { SecretScanner } from '../secret-scan/secret-scanner';
import { stampEvents } from './accept-events.stamp';

export const UNAVAILABLE_RETRY_AFTER_S = Symbol('UNAVAILABLE_RETRY_AFTER_S');
export const OVERLOADED_RETRY_AFTER_S = Symbol('OVERLOADED_RETRY_AFTER_S');
export const SECRET_SCANNER = Symbol('SECRET_SCANNER');

export interface AcceptEventsCommand {
  tenant: string;
  /** Already validated against the schema and the emitter's scope. */
  events: readonly AuditEventInputParsed[];
  /** The key and the fingerprint of the request it names (see requestFingerprint). */
  idempotency?: { key: string; requestSha256: Buffer };
  /** For logs: which door the events came through (`http`, `github`, `terraform`, …). */
  via: string;
  /** Who asserted the events, from the credential that authenticated the request. */
  provenance: Provenance;
  /**
   * For webhooks: the key names what the delivery says (not the request), so a key seen before means the
   * same assertion again — answered as a duplicate whatever the bytes, never a conflict, nothing published.
   */
  duplicateWhenSeen?: boolean;
}

export interface AcceptEventsResult extends BatchAcceptedResponse {
  /** True when this answer repeats an earlier one for the same idempotency key. */
  replayed: boolean;
  /** True when a webhook repeated an assertion already accepted (see `duplicateWhenSeen`). */
  duplicate?: boolean;
  /** Secrets replaced by markers in this request (absent on a replay: the first answer said it). */
  redacted?: number;
}

/**
 * Accepts validated events for a tenant: reserves ids under the idempotency key (in Postgres, before
 * publishing), publishes with acks=all, then marks the key published. Shared by the events API and every
 * adapter, so all doors give the same guarantees.
 */
@Injectable()
export class AcceptEventsHandler {
  constructor(
    private readonly idempotency: IdempotencyRepository,
    private readonly publisher: AcceptedEventsPublisher,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ID_GENERATOR) private readonly newId: IdGenerator,
    @Inject(UNAVAILABLE_RETRY_AFTER_S) private readonly retryAfterS: number,
    @Inject(OVERLOADED_RETRY_AFTER_S) private readonly overloadedRetryAfterS: number,
    @InjectLogger() private readonly logger: Logger,
    @Inject(SECRET_SCANNER) private readonly scanner: SecretScanner,
  ) {}

  async execute(command: AcceptEventsCommand): Promise<Result<AcceptEventsResult>> {
    const { tenant, events, idempotency, via, provenance } = command;
    // Shed before any work (and before the idempotency row): a refused request costs almost nothing.
    const overloaded = this.publisher.overloaded(events.length);
    if (overloaded) {
      this.logger.warn({ tenant, via, count: events.length, reason: overloaded }, 'over capacity, events refused');
      return fail(Problems.unavailable(`${overloaded}; nothing was accepted, retry after Retry-After with the same idempotency key`, this.overloadedRetryAfterS));
    }
    const now = this.clock();
    let record: IdempotencyRecord = { requestSha256: idempotency?.requestSha256 ?? Buffer.alloc(32), eventIds: events.map(() => this.newId(now)), receivedAt: now, status: 'pending' };

    if (idempotency) {
      let reserved;
      try {
        reserved = await this.idempotency.reserve(tenant, idempotency.key, record);
      } catch (error) {
        this.logger.error({ err: error, tenant, via }, 'idempotency store unavailable');
        return fail(Problems.unavailable('the idempotency store is unavailable; nothing was accepted', this.retryAfterS));
      }
      if (command.duplicateWhenSeen && !reserved.inserted && reserved.record.status === 'published') {
        this.logger.info({ tenant, via, idempotencyKey: idempotency.key, eventIds: reserved.record.eventIds }, 'duplicate webhook assertion, nothing recorded');
        return ok({ ids: reserved.record.eventIds, receivedAt: reserved.record.receivedAt.toISOString(), replayed: true, duplicate: true });
      }
      // A webhook's key names the assertion: other bytes with the same key are the same assertion.
      const fingerprint = command.duplicateWhenSeen ? reserved.record.requestSha256 : idempotency.requestSha256;
      const decision = decideIdempotency(reserved, fingerprint, events.length);
      if (decision.kind === 'conflict') return fail(Problems.idempotencyConflict(idempotency.key));
      if (decision.kind === 'replay') {
        this.logger.info({ tenant, via, idempotencyKey: idempotency.key, eventIds: decision.record.eventIds }, 'idempotent replay');
        return ok({ ids: decision.record.eventIds, receivedAt: decision.record.receivedAt.toISOString(), replayed: true });
      }
      record = decision.record;
    }

    const { events: accepted, redacted } = stampEvents(events, { tenant, ids: record.eventIds, receivedAt: record.receivedAt, provenance, scanner: this.scanner });
    if (redacted > 0) this.logger.warn({ tenant, via, redacted, eventIds: record.eventIds }, 'secrets in event text replaced by markers');
    const outcome = await this.publisher.publish(accepted);
    if (!outcome.ok) {
      this.logger.warn({ tenant, via, reason: outcome.reason, eventIds: record.eventIds }, 'Kafka unavailable, events not accepted');
      if (outcome.overloaded) {
        return fail(Problems.unavailable(`${outcome.reason}; nothing was accepted, retry after Retry-After with the same idempotency key`, this.overloadedRetryAfterS));
      }
      return fail(Problems.unavailable('the event log is unavailable; nothing was accepted, retry with the same idempotency key', this.retryAfterS));
    }
    if (idempotency) {
      // Already durable: failing to mark it only means a retry re-publishes the same ids (harmless).
      await this.idempotency.markPublished(tenant, idempotency.key).catch((error: unknown) => {
        this.logger.warn({ err: error, tenant, idempotencyKey: idempotency.key }, 'could not mark idempotency key published');
      });
    }
    this.logger.info({ tenant, via, count: accepted.length, eventIds: record.eventIds }, 'events accepted');
    return ok({ ids: record.eventIds, receivedAt: record.receivedAt.toISOString(), replayed: false, redacted });
  }
}
