import type { FastifyReply } from 'fastify';
import { PROBLEM_CONTENT_TYPE, type ProblemResult } from './problem';
import type { Result } from './problem';

export function sendProblem(reply: FastifyReply, result: ProblemResult): void {
  if (reply.sent) return;
  reply.status(result.problem.status).headers(result.headers ?? {}).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(result.problem));
}

/** Sends `status` + body for a success, or the problem for a failure. */
export function sendResult<T>(reply: FastifyReply, result: Result<T>, status: number, headers: Record<string, string> = {}): void {
  if (!result.ok) return sendProblem(reply, result.error);
  reply.status(status).headers(headers).type('application/json').send(JSON.stringify(result.value));
}
