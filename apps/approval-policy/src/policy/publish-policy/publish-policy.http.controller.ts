import { Controller, Get, Param, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Authenticator } from '../../http/authenticate';
import { Problems, sendJson, sendProblem } from '../../http/problem';
import { ReadRecorder } from '../../reads/read-recorder';
import { PolicyRepository } from '../policy.repository';
import { PublishPolicyHandler } from './publish-policy.handler';

/** `PUT /v1/policies` (admin; `?dryRun=true` only validates) and reading the versions back. */
@Controller('v1/policies')
export class PublishPolicyHttpController {
  constructor(
    private readonly auth: Authenticator,
    private readonly handler: PublishPolicyHandler,
    private readonly policies: PolicyRepository,
    private readonly reads: ReadRecorder,
  ) {}

  @Put()
  async publish(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const admin = await this.auth.principal(request, 'admin');
    const dryRun = (request.query as Record<string, unknown>).dryRun === 'true';
    const result = await this.handler.execute(admin, request.body, dryRun);
    if (!result.ok) return sendProblem(reply, result.problem);
    sendJson(reply, dryRun ? 200 : 201, result.value);
  }

  @Get('current')
  async current(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const principal = await this.auth.principal(request, 'viewer');
    const stored = await this.policies.find(principal.tenant);
    if (!stored) return sendProblem(reply, Problems.notFound('no policy is published for this tenant'));
    await this.reads.record(principal, { endpoint: '/v1/policies/current', query: {}, resultCount: 1 });
    sendJson(reply, 200, stored);
  }

  @Get(':version')
  async version(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('version') version: string): Promise<void> {
    const principal = await this.auth.principal(request, 'viewer');
    const n = Number(version);
    if (!Number.isInteger(n) || n < 1 || n > 2_147_483_647) return sendProblem(reply, Problems.notFound(`no policy version "${version}"`));
    const stored = await this.policies.find(principal.tenant, n);
    if (!stored) return sendProblem(reply, Problems.notFound(`no policy version ${n} for this tenant`));
    await this.reads.record(principal, { endpoint: '/v1/policies/{version}', query: { version: n }, resultCount: 1 });
    sendJson(reply, 200, stored);
  }
}
