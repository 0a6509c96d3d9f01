import { Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem, sendResult } from '../../../http/problem';
import { AlertingAccess } from '../../alerting-access';
import { ManageAlertsHandler } from './manage-alerts.handler';

@Controller('v1/alerts')
export class ManageAlertsHttpController {
  constructor(
    private readonly access: AlertingAccess,
    private readonly handler: ManageAlertsHandler,
  ) {}

  @Get()
  async list(@Query() query: { state?: string; ruleId?: string; limit?: string }, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const principal = await this.access.authorize(request.headers.authorization, 'alerts.read');
    if (!principal.ok) return sendProblem(reply, principal.error);
    sendResult(reply, await this.handler.list(principal.value, query));
  }

  @Get(':alertId')
  async get(@Param('alertId') alertId: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const principal = await this.access.authorize(request.headers.authorization, 'alerts.read');
    if (!principal.ok) return sendProblem(reply, principal.error);
    sendResult(reply, await this.handler.get(principal.value, alertId));
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
