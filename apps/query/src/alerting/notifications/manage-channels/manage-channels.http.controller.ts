import { Body, Controller, Get, Param, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ok, sendProblem, sendResult } from '../../../http/problem';
import { AuditReadRecorder } from '../../../reads/audit-read.recorder';
import { AlertingAccess } from '../../alerting-access';
import { ManageChannelsHandler } from './manage-channels.handler';

@Controller('v1/alert-channels')
export class ManageChannelsHttpController {
  constructor(
    private readonly access: AlertingAccess,
    private readonly handler: ManageChannelsHandler,
    private readonly reads: AuditReadRecorder,
  ) {}

  @Get()
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const principal = await this.access.authorize(request.headers.authorization, 'channels.manage');
    if (!principal.ok) return sendProblem(reply, principal.error);
    const channels = ok({ channels: await this.handler.list(principal.value) });
    sendResult(reply, await this.reads.recorded({ principal: principal.value, endpoint: '/v1/alert-channels', query: {} }, channels, (v) => v.channels.length));
  }

  @Put(':name')
  async put(@Param('name') name: string, @Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const principal = await this.access.authorize(request.headers.authorization, 'channels.manage');
    if (!principal.ok) return sendProblem(reply, principal.error);
    sendResult(reply, await this.handler.put(principal.value, name, body ?? null));
  }
}
