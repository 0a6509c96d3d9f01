import { Controller, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APPROVALS_API_VIA } from '@audit/change-lifecycle';
import { toFieldIssues } from '@audit/contracts';
import { Authenticator } from '../../http/authenticate';
import { Problems, sendJson, sendProblem } from '../../http/problem';
import { RecordApprovalHandler } from './record-approval.handler';
import { CHANGE_ID, RecordApprovalRequest } from './record-approval.request';

/** `POST /v1/changes/:changeId/approvals`: approve or reject the current plan, as the token's subject. */
@Controller('v1/changes')
export class RecordApprovalHttpController {
  constructor(
    private readonly auth: Authenticator,
    private readonly handler: RecordApprovalHandler,
  ) {}

  @Post(':changeId/approvals')
  async record(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('changeId') changeId: string): Promise<void> {
    const approver = await this.auth.principal(request);
    if (!CHANGE_ID.test(changeId)) return sendProblem(reply, Problems.notFound('not a change id'));
    const body = RecordApprovalRequest.safeParse(request.body);
    if (!body.success) return sendProblem(reply, Problems.invalid('the approval does not match the schema', toFieldIssues(body.error)));
    const result = await this.handler.execute(approver, changeId, body.data, this.auth.provenanceOf(approver, APPROVALS_API_VIA));
    if (!result.ok) return sendProblem(reply, result.problem);
    sendJson(reply, 202, result.value);
  }
}
