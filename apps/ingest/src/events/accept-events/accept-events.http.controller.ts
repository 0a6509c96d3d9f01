import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { apiKeyProvenance } from '../../auth/api-key';
import { EmitterAuthenticator } from '../../auth/emitter-authenticator';
import { InjectConfig } from '@audit/service-shell';
import { CLOCK, type Clock } from '../../clock';
import { occurredAtBounds, type IngestConfig } from '../../config';
import { sendProblem, sendResult } from '../../http/reply';
import { requestFingerprint } from '../../idempotency/idempotency.decision';
import { AcceptEventsHandler, type AcceptEventsResult } from './accept-events.handler';
import { batchEventsOf, idempotencyKeyOf } from './accept-events.request';
import { validateEvents } from './accept-events.validation';

/** `POST /v1/events` (one event) and `POST /v1/events:batch` (all-or-nothing, ≤ 500 events, ≤ 1 MiB). */
@Controller('v1')
export class AcceptEventsHttpController {
  constructor(
    private readonly auth: EmitterAuthenticator,
    private readonly handler: AcceptEventsHandler,
    @Inject(CLOCK) private readonly clock: Clock,
    @InjectConfig() private readonly config: IngestConfig,
  ) {}

  @Post('events')
  async acceptOne(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const emitter = await this.auth.authenticate(request.headers);
    if (!emitter.ok) return sendProblem(reply, emitter.error);
    const body: unknown = request.body;
    const bodyKey = typeof body === 'object' && body !== null ? (body as { idempotencyKey?: unknown }).idempotencyKey : undefined;
    const key = idempotencyKeyOf(request.headers['idempotency-key'], bodyKey);
    if (!key.ok) return sendProblem(reply, key.error);
    const events = validateEvents([body], { now: this.clock(), scope: emitter.value, indexed: false, bounds: occurredAtBounds(this.config) });
    if (!events.ok) return sendProblem(reply, events.error);
    const result = await this.handler.execute({
      tenant: emitter.value.tenant,
      events: events.value,
      via: 'http',
      provenance: apiKeyProvenance(emitter.value, 'http'),
      ...(key.value !== undefined ? { idempotency: { key: key.value, requestSha256: requestFingerprint('events', [request.rawBody ?? Buffer.alloc(0)]) } } : {}),
    });
    if (!result.ok) return sendProblem(reply, result.error);
    sendResult(reply, { ok: true, value: { id: result.value.ids[0], receivedAt: result.value.receivedAt, ...redactedOf(result.value) } }, 202, replayHeaders(result.value));
  }

  // `::` is Fastify's escape for a literal colon (a single `:` would start a path parameter).
  @Post('events::batch')
  async acceptBatch(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const emitter = await this.auth.authenticate(request.headers);
    if (!emitter.ok) return sendProblem(reply, emitter.error);
    const key = idempotencyKeyOf(request.headers['idempotency-key'], undefined);
    if (!key.ok) return sendProblem(reply, key.error);
    const candidates = batchEventsOf(request.body);
    if (!candidates.ok) return sendProblem(reply, candidates.error);
    const events = validateEvents(candidates.value, { now: this.clock(), scope: emitter.value, indexed: true, bounds: occurredAtBounds(this.config) });
    if (!events.ok) return sendProblem(reply, events.error);
    const result = await this.handler.execute({
      tenant: emitter.value.tenant,
      events: events.value,
      via: 'http-batch',
      provenance: apiKeyProvenance(emitter.value, 'http-batch'),
      ...(key.value !== undefined ? { idempotency: { key: key.value, requestSha256: requestFingerprint('events:batch', [request.rawBody ?? Buffer.alloc(0)]) } } : {}),
    });
    if (!result.ok) return sendProblem(reply, result.error);
    sendResult(reply, { ok: true, value: { ids: result.value.ids, receivedAt: result.value.receivedAt, ...redactedOf(result.value) } }, 202, replayHeaders(result.value));
  }
}

/**
 * The `redacted` count, when secrets were replaced. Absent when none were, so a clean request's replay is
 * byte-identical to its first answer; a replay of a redacted one repeats the ids without the count.
 */
export function redactedOf(result: AcceptEventsResult): { redacted?: number } {
  return result.redacted ? { redacted: result.redacted } : {};
}

export function replayHeaders(result: AcceptEventsResult): Record<string, string> {
  return result.replayed ? { 'Idempotent-Replayed': 'true' } : {};
}
