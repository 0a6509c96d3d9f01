import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toFieldIssues } from '@audit/contracts';
import { apiKeyProvenance } from '../../auth/api-key';
import { EmitterAuthenticator } from '../../auth/emitter-authenticator';
import { CLOCK, type Clock } from '../../clock';
import { idempotencyKeyOf } from '../../events/accept-events/accept-events.request';
import { Problems } from '../../http/problem';
import { sendProblem } from '../../http/reply';
import { requestFingerprint } from '../../idempotency/idempotency.decision';
import { AdapterAcceptor } from '../adapter-acceptor';
import { mapTerraformPlan, TerraformPlanParams } from './terraform-plan.mapper';

/**
 * `POST /v1/adapters/terraform/plan?changeId=…&environment=…` with the `terraform show -json` document as
 * the body → one `plan.created`. Without an Idempotency-Key the plan's own fingerprint is the key, so
 * posting the same plan for the same change twice records it once.
 */
@Controller('v1/adapters/terraform')
export class TerraformPlanHttpController {
  constructor(
    private readonly auth: EmitterAuthenticator,
    private readonly acceptor: AdapterAcceptor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post('plan')
  async receive(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const emitter = await this.auth.authenticate(request.headers);
    if (!emitter.ok) return sendProblem(reply, emitter.error);
    const params = TerraformPlanParams.safeParse(request.query ?? {});
    if (!params.success) return sendProblem(reply, Problems.badParameter(toFieldIssues(params.error).map((i) => ({ ...i, path: `query:${i.path}` }))));
    const key = idempotencyKeyOf(request.headers['idempotency-key'], undefined);
    if (!key.ok) return sendProblem(reply, key.error);
    const raw = request.rawBody ?? Buffer.alloc(0);
    const fingerprint = requestFingerprint('terraform-plan', [raw, JSON.stringify(params.data)]);
    await this.acceptor.accept(reply, mapTerraformPlan(raw, request.body, params.data, { keyId: emitter.value.keyId, receivedAt: this.clock() }), {
      tenant: emitter.value.tenant,
      scope: emitter.value,
      via: 'terraform',
      provenance: apiKeyProvenance(emitter.value, 'terraform'),
      idempotency: { key: key.value ?? `terraform:${fingerprint.toString('hex')}`, requestSha256: fingerprint },
    });
  }
}
