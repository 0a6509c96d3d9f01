import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ReadAccessAuthenticator } from '../../auth/read-access.authenticator';
import { Problems, sendProblem, sendResult } from '../../http/problem';
import { ChangeStoryHandler } from './change-story.handler';

const CHANGE_ID = /^[^\u0000-\u001f\u007f-\u009f]{1,128}$/;

@Controller('v1')
export class ChangeStoryHttpController {
  constructor(
    private readonly access: ReadAccessAuthenticator,
    private readonly handler: ChangeStoryHandler,
  ) {}

  @Get('changes/:changeId')
  async story(@Param('changeId') changeId: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const principal = await this.access.authorize(request.headers.authorization, 'changes.story');
    if (!principal.ok) return sendProblem(reply, principal.error);
    if (!CHANGE_ID.test(changeId)) return sendProblem(reply, Problems.badParameter('changeId', 'must be 1-128 characters without control characters'));
    sendResult(reply, await this.handler.execute(principal.value, changeId));
  }
}
