import { Body, Controller, Get, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ok, sendProblem, sendResult } from '../../../http/problem';
import { AuditReadRecorder } from '../../../reads/audit-read.recorder';
import { AlertingAccess } from '../../alerting-access';
import { ManageRulesHandler } from './manage-rules.handler';

@Controller('v1/alert-rules')
export class ManageRulesHttpController {
  constructor(
    private readonly access: AlertingAccess,
    private readonly handler: ManageRulesHandler,
    private readonly reads: AuditReadRecorder,
  ) {}

  /** The rules in force (latest version of each, built-ins included). */
  @Get()
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const principal = await this.access.authorize(request.headers.authorization, 'rules.read');
    if (!principal.ok) return sendProblem(reply, principal.error);
    const rules = ok({ rules: await this.handler.list(principal.value) });
    sendResult(reply, await this.reads.recorded({ principal: principal.value, endpoint: '/v1/alert-rules', query: {} }, rules, (v) => v.rules.length));
  }

  @Get(':ruleId/versions')
  async versions(@Param('ruleId') ruleId: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const principal = await this.access.authorize(request.headers.authorization, 'rules.read');
    if (!principal.ok) return sendProblem(reply, principal.error);
    const result = await this.handler.versions(principal.value, ruleId);
    const read = { principal: principal.value, endpoint: '/v1/alert-rules/{ruleId}/versions', query: { ruleId } };
    sendResult(reply, await this.reads.recorded(read, result.ok ? ok({ ruleId, versions: result.value }) : result, (v) => v.versions.length));
  }

  /** Create or update (a new version); `?dryRun=true` only validates. 201 for a new version, 200 otherwise. */
  @Put(':ruleId')
  async put(@Param('ruleId') ruleId: string, @Query('dryRun') dryRun: string | undefined, @Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const principal = await this.access.authorize(request.headers.authorization, 'rules.manage');
    if (!principal.ok) return sendProblem(reply, principal.error);
    const result = await this.handler.put(principal.value, ruleId, body ?? null, dryRun === 'true');
    sendResult(reply, result, result.ok && result.value.eventId ? 201 : 200);
  }

  @Post(':ruleId/disable')
  async disable(@Param('ruleId') ruleId: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const principal = await this.access.authorize(request.headers.authorization, 'rules.manage');
    if (!principal.ok) return sendProblem(reply, principal.error);
    sendResult(reply, await this.handler.disable(principal.value, ruleId));
  }
}
