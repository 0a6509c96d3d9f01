import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Provenance } from '@audit/contracts';
import type { EmitterScope } from '../auth/api-key';
import { InjectConfig } from '@audit/service-shell';
import { CLOCK, type Clock } from '../clock';
import { occurredAtBounds, type IngestConfig } from '../config';
import { AcceptEventsHandler } from '../events/accept-events/accept-events.handler';
import { redactedOf, replayHeaders } from '../events/accept-events/accept-events.http.controller';
import { validateEvents } from '../events/accept-events/accept-events.validation';
import { Problems } from '../http/problem';
import { sendProblem, sendResult } from '../http/reply';
import type { AdapterResult } from './adapter.common';

/**
 * The common tail of every adapter: the mapped events pass the same validation, scope check, idempotency
 * and publishing as events sent to /v1/events, so an adapter can never be a weaker door.
 */
@Injectable()
export class AdapterAcceptor {
  constructor(
    private readonly handler: AcceptEventsHandler,
    @Inject(CLOCK) private readonly clock: Clock,
    @InjectConfig() private readonly config: IngestConfig,
  ) {}

  async accept(
    reply: FastifyReply,
    mapped: AdapterResult,
    context: {
      tenant: string;
      scope?: EmitterScope;
      via: string;
      provenance: Provenance;
      idempotency: { key: string; requestSha256: Buffer };
      /** Webhooks: the key names the assertion; seen before → 200 `duplicate`, nothing recorded. */
      duplicateWhenSeen?: boolean;
    },
  ): Promise<void> {
    if (!mapped.ok) return sendProblem(reply, Problems.invalid(`the ${context.via} payload cannot be mapped; nothing was accepted`, mapped.issues));
    if (mapped.events.length === 0) return sendResult(reply, { ok: true, value: { ids: [], receivedAt: this.clock().toISOString() } }, 202);
    const events = validateEvents(mapped.events, { now: this.clock(), indexed: mapped.events.length > 1, bounds: occurredAtBounds(this.config), ...(context.scope ? { scope: context.scope } : {}) });
    if (!events.ok) return sendProblem(reply, events.error);
    const result = await this.handler.execute({
      tenant: context.tenant,
      events: events.value,
      via: context.via,
      provenance: context.provenance,
      idempotency: context.idempotency,
      ...(context.duplicateWhenSeen ? { duplicateWhenSeen: true } : {}),
    });
    if (!result.ok) return sendProblem(reply, result.error);
    if (result.value.duplicate) return sendResult(reply, { ok: true, value: { ids: result.value.ids, receivedAt: result.value.receivedAt, duplicate: true } }, 200);
    sendResult(reply, { ok: true, value: { ids: result.value.ids, receivedAt: result.value.receivedAt, ...redactedOf(result.value) } }, 202, replayHeaders(result.value));
  }
}
