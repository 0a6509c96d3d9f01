import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@audit/observability';
import { Problems, type ProblemResult } from './problem';
import { ProblemError } from './problem-error';
import { sendProblem } from './reply';

/** Fastify's own refusals (parsing, limits) by code, so none of them ever becomes a 500. */
function fromFastifyError(error: { code?: unknown; statusCode?: unknown; message: string }): ProblemResult | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return Problems.unsupportedMediaType('send the body as application/json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return Problems.tooLarge(error.message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return Problems.malformed('the request body is empty; send a JSON document');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return Problems.malformed(error.message);
  }
  const status = typeof error.statusCode === 'number' ? error.statusCode : undefined;
  if (status !== undefined && status >= 400 && status < 500) {
    if (status === 413) return Problems.tooLarge(error.message);
    if (status === 415) return Problems.unsupportedMediaType(error.message);
    return { problem: { type: 'about:blank', title: error.message, status } };
  }
  return undefined;
}

/**
 * The last word on every error: problem+json always. Our own problems pass through, Nest's HTTP
 * exceptions and Fastify's parser errors map to their 4xx, and anything else is a 500 that is logged —
 * it means a bug of ours, not bad input.
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
    if (exception instanceof Error) {
      const mapped = fromFastifyError(exception as Error & { code?: unknown; statusCode?: unknown });
      if (mapped) return mapped;
    }
    this.logger.error({ err: exception, method: request.method, url: request.url }, 'unhandled error');
    return Problems.internal();
  }
}
