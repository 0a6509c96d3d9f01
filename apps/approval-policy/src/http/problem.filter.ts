import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthError } from '@audit/auth';
import type { Logger } from '@audit/observability';
import { Problems, ProblemError, sendProblem, type Problem } from './problem';

/** problem+json for every error: ours pass through, 4xx from Nest/Fastify keep their status, the rest is a logged 500. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    if (reply.sent) return;
    sendProblem(reply, this.toProblem(exception, request));
  }

  private toProblem(exception: unknown, request: FastifyRequest): Problem {
    if (exception instanceof ProblemError) return exception.problem;
    if (exception instanceof AuthError) return exception.status === 401 ? Problems.unauthenticated(exception.message) : Problems.forbidden(exception.message);
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      return exception.getStatus() === 404 ? Problems.notFound(`no route ${request.method} ${request.url.split('?')[0]}`) : { type: 'about:blank', title: exception.message, status: exception.getStatus() };
    }
    const e = exception as { statusCode?: unknown; message?: unknown };
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return { type: 'about:blank', title: String(e.message), status: e.statusCode };
    this.logger.error({ err: exception, method: request.method, url: request.url }, 'unhandled error');
    return Problems.internal();
  }
}
