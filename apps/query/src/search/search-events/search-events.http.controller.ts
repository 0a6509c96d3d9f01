import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ReadAccessAuthenticator } from '../../auth/read-access.authenticator';
import type { QueryConfig } from '../../config';
import { Problems, sendProblem, sendResult } from '../../http/problem';
import { InjectConfig } from '@audit/service-shell';
import { SearchEventsHandler } from './search-events.handler';
import { HISTOGRAM_INTERVALS } from './search-histogram';

/** `GET /v1/search?q=…&size=…&cursor=…&histogram=hour|day&reads=show|hide` */
@Controller('v1')
export class SearchEventsHttpController {
  private readonly params;

  constructor(
    @Inject(ReadAccessAuthenticator) private readonly access: ReadAccessAuthenticator,
    private readonly handler: SearchEventsHandler,
    @InjectConfig() config: QueryConfig,
  ) {
    this.params = z.strictObject({
      q: z.string().default(''),
      size: z.coerce.number().int().min(1).max(config.SEARCH_MAX_SIZE).default(50),
      cursor: z.string().optional(),
      histogram: z.enum(HISTOGRAM_INTERVALS, { error: `must be one of ${HISTOGRAM_INTERVALS.join(', ')}` }).optional(),
      reads: z.enum(['show', 'hide'], { error: 'must be show or hide' }).optional(),
    });
  }

  @Get('search')
  async search(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const principal = await this.access.authorize(request.headers.authorization, 'events.search');
    if (!principal.ok) return sendProblem(reply, principal.error);
    const params = this.params.safeParse(request.query);
    if (!params.success) {
      const issue = params.error.issues[0]!;
      return sendProblem(reply, Problems.badParameter(issue.path.join('.') || 'query', issue.message));
    }
    sendResult(reply, await this.handler.execute(principal.value, params.data));
  }
}
