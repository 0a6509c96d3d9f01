import { Controller, Get, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ReadAccessAuthenticator } from '../../auth/read-access.authenticator';
import { sendProblem, sendResult } from '../../http/problem';
import { ProjectionStatusHandler } from './projection-status.handler';

@Controller('v1')
export class ProjectionStatusHttpController {
  constructor(
    private readonly access: ReadAccessAuthenticator,
    private readonly handler: ProjectionStatusHandler,
  ) {}

  @Get('projections/status')
  async status(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const principal = await this.access.authorize(request.headers.authorization, 'projections.verify');
    if (!principal.ok) return sendProblem(reply, principal.error);
    sendResult(reply, await this.handler.execute(principal.value));
  }
}
