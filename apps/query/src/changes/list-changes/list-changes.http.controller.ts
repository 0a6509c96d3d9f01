import { Controller, Get, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ReadAccessAuthenticator } from '../../auth/read-access.authenticator';
import { Problems, sendProblem, sendResult } from '../../http/problem';
import { ListChangesHandler, ListChangesParams } from './list-changes.handler';

@Controller('v1')
export class ListChangesHttpController {
  constructor(
    private readonly access: ReadAccessAuthenticator,
    private readonly handler: ListChangesHandler,
  ) {}

  @Get('changes')
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const principal = await this.access.authorize(request.headers.authorization, 'changes.list');
    if (!principal.ok) return sendProblem(reply, principal.error);
    const params = ListChangesParams.safeParse(request.query);
    if (!params.success) {
      const issue = params.error.issues[0]!;
      return sendProblem(reply, Problems.badParameter(issue.path.join('.') || 'query', issue.message));
    }
    sendResult(reply, await this.handler.execute(principal.value, params.data));
  }
}
