import { Controller, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { toFieldIssues } from '@audit/contracts';
import { apiKeyProvenance } from '../../auth/api-key';
import { EmitterAuthenticator } from '../../auth/emitter-authenticator';
import { Problems } from '../../http/problem';
import { sendProblem } from '../../http/reply';
import { requestFingerprint } from '../../idempotency/idempotency.decision';
import { AdapterAcceptor } from '../adapter-acceptor';
import { mapK8sAuditEventList } from './k8s-audit.mapper';

const Params = z.strictObject({ environment: z.string().min(1).max(64) });

/**
 * `POST /v1/adapters/k8s/audit?environment=<cluster>`: the body an API server's audit webhook backend
 * sends (an audit.k8s.io/v1 EventList). The backend retries whole batches, so the batch's fingerprint is
 * the idempotency key.
 */
@Controller('v1/adapters/k8s')
export class K8sAuditHttpController {
  constructor(
    private readonly auth: EmitterAuthenticator,
    private readonly acceptor: AdapterAcceptor,
  ) {}

  @Post('audit')
  async receive(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const emitter = await this.auth.authenticate(request.headers);
    if (!emitter.ok) return sendProblem(reply, emitter.error);
    const params = Params.safeParse(request.query ?? {});
    if (!params.success) return sendProblem(reply, Problems.badParameter(toFieldIssues(params.error).map((i) => ({ ...i, path: `query:${i.path}` }))));
    const fingerprint = requestFingerprint('k8s-audit', [request.rawBody ?? Buffer.alloc(0), params.data.environment]);
    await this.acceptor.accept(reply, mapK8sAuditEventList(request.body, params.data), {
      tenant: emitter.value.tenant,
      scope: emitter.value,
      via: 'kubernetes',
      provenance: apiKeyProvenance(emitter.value, 'kubernetes'),
      idempotency: { key: `k8s:${fingerprint.toString('hex')}`, requestSha256: fingerprint },
    });
  }
}
