import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@audit/observability';
import { ProblemError, Problems, sendProblem, type ProblemResult } from './problem';

/**
 * The last word on every error: problem+json always. Nest's HTTP exceptions map to their 4xx; anything
 * else is a bug of ours, logged, and answered 500 without internals.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    sendProblem(reply, this.toProblem(exception, request));
  }

  private toProblem(exception: unknown, request: FastifyRequest): ProblemResult {
    if (exception instanceof ProblemError) return exception.result;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === 404) return Problems.notFound(`no route ${request.method} ${request.url.split('?')[0]}`);
      if (status < 500) return { problem: { type: 'about:blank', title: exception.message, status } };
    }
    const status = (exception as { statusCode?: unknown } | undefined)?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500 && exception instanceof Error) {
      return { problem: { type: 'about:blank', title: exception.message, status } };
    }
    this.logger.error({ err: exception, method: request.method, url: request.url.split('?')[0] }, 'unhandled error');
    return Problems.internal();
  }
}
