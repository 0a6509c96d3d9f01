import { Controller, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toFieldIssues } from '@audit/contracts';
import { CLOCK, type Clock } from '../../clock';
import { decideChange } from '../../decision/decide-change';
import { Authenticator } from '../../http/authenticate';
import { Problems, sendJson, sendProblem } from '../../http/problem';
import { ChangeViewRepository } from '../../ledger-view/change-view.repository';
import { PolicyRepository } from '../../policy/policy.repository';
import { ReadRecorder } from '../../reads/read-recorder';
import { DecideGateHandler } from './decide-gate.handler';
import { GateRequest } from './decide-gate.request';

/**
 * `POST /v1/gate`: allow/deny for the plan (and artifact) a pipeline is about to apply; 200 either way,
 * the verdict is in the body. `GET /v1/changes/:id/decision` shows where a change stands (a read: it
 * decides nothing, and records only its own audit.read).
 */
@Controller('v1')
export class DecideGateHttpController {
  constructor(
    private readonly auth: Authenticator,
    private readonly handler: DecideGateHandler,
    private readonly view: ChangeViewRepository,
    private readonly policies: PolicyRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly reads: ReadRecorder,
  ) {}

  @Post('gate')
  async gate(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const caller = await this.auth.principal(request);
    const body = GateRequest.safeParse(request.body);
    if (!body.success) return sendProblem(reply, Problems.invalid('the gate request does not match the schema', toFieldIssues(body.error)));
    sendJson(reply, 200, await this.handler.execute(caller, body.data));
  }

  @Get('changes/:changeId/decision')
  async status(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('changeId') changeId: string): Promise<void> {
    // Analyst, not viewer: the decision names approvers, their groups and the policy's evaluation, which is
    // the detail viewers are not shown in search either.
    const caller = await this.auth.principal(request, 'analyst');
    const [history, inForce] = await Promise.all([this.view.changeEvents(caller.tenant, changeId), this.policies.inForce(caller.tenant)]);
    if (history.length === 0) return sendProblem(reply, Problems.notFound(`no committed events for change ${changeId}`));
    const decision = decideChange(history, inForce, this.clock()).decision;
    await this.reads.record(caller, { endpoint: '/v1/changes/{changeId}/decision', query: { changeId }, resultCount: history.length });
    sendJson(reply, 200, decision);
  }
}
