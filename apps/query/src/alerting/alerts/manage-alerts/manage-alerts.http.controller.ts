import { Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem, sendResult } from '../../../http/problem';
import { AuditReadRecorder } from '../../../reads/audit-read.recorder';
import { AlertingAccess } from '../../alerting-access';
import { ManageAlertsHandler } from './manage-alerts.handler';

@Controller('v1/alerts')
export class ManageAlertsHttpController {
  constructor(
    private readonly access: AlertingAccess,
    private readonly handler: ManageAlertsHandler,
    private readonly reads: AuditReadRecorder,
  ) {}

  @Get()
  async list(@Query() query: { state?: string; ruleId?: string; limit?: string }, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const principal = await this.access.authorize(request.headers.authorization, 'alerts.read');
    if (!principal.ok) return sendProblem(reply, principal.error);
    const { state, ruleId, limit } = query;
    const read = { principal: principal.value, endpoint: '/v1/alerts', query: { state, ruleId, limit } };
    sendResult(reply, await this.reads.recorded(read, await this.handler.list(principal.value, query), (v) => v.alerts.length));
  }

  @Get(':alertId')
  async get(@Param('alertId') alertId: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const principal = await this.access.authorize(request.headers.authorization, 'alerts.read');
    if (!principal.ok) return sendProblem(reply, principal.error);
    const read = { principal: principal.value, endpoint: '/v1/alerts/{alertId}', query: { alertId } };
    sendResult(reply, await this.reads.recorded(read, await this.handler.get(principal.value, alertId), () => 1));
  }

  @Post(':alertId/ack')
  @HttpCode(200)
  async ack(@Param('alertId') alertId: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const principal = await this.access.authorize(request.headers.authorization, 'alerts.transition');
    if (!principal.ok) return sendProblem(reply, principal.error);
    sendResult(reply, await this.handler.transition(principal.value, alertId, 'acknowledged'));
  }

  @Post(':alertId/resolve')
  @HttpCode(200)
  async resolve(@Param('alertId') alertId: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const principal = await this.access.authorize(request.headers.authorization, 'alerts.transition');
    if (!principal.ok) return sendProblem(reply, principal.error);
    sendResult(reply, await this.handler.transition(principal.value, alertId, 'resolved'));
  }
}
