import type { FastifyReply } from 'fastify';

/**
 * RFC 9457 problem details: every refusal of the query API is one of these values, built where the
 * decision is made and turned into a response only at the HTTP edge.
 */
export const PROBLEM_BASE = 'https://audit-ledger.dev/problems/';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  [extension: string]: unknown;
}

export interface ProblemResult {
  problem: Problem;
  headers?: Record<string, string>;
}

function problem(slug: string, title: string, status: number, detail: string, extensions: Record<string, unknown> = {}, headers?: Record<string, string>): ProblemResult {
  return { problem: { type: `${PROBLEM_BASE}${slug}`, title, status, detail, ...extensions }, ...(headers ? { headers } : {}) };
}

export const Problems = {
  malformed: (detail: string) => problem('malformed-request', 'Malformed request body', 400, detail),
  invalidBody: (detail: string, errors: { path: string; message: string }[]) => problem('validation-failed', 'The request does not match the schema', 422, detail, { errors }),
  badParameter: (parameter: string, reason: string) =>
    problem('invalid-parameter', 'Invalid request parameter', 400, `${parameter} ${reason}`, { errors: [{ path: parameter, message: reason }] }),
  querySyntax: (message: string, position: number, expected: string[]) =>
    problem('query-syntax', 'The search query is not valid', 400, `${message} (at position ${position})`, { position, expected }),
  unauthenticated: (detail: string) => problem('unauthenticated', 'Authentication required', 401, detail, {}, { 'WWW-Authenticate': 'Bearer realm="audit-ledger"' }),
  forbidden: (detail: string) => problem('forbidden', 'Not allowed for your role', 403, detail),
  notFound: (detail: string) => problem('not-found', 'Not found', 404, detail),
  redacted: (detail: string) => problem('redacted', 'Redacted by retention', 410, detail),
  unavailable: (detail: string) => problem('unavailable', 'Service temporarily unavailable', 503, detail, {}, { 'Retry-After': '5' }),
  internal: () => problem('internal', 'Internal error', 500, 'the request could not be processed'),
} as const;

export type Result<T> = { ok: true; value: T } | { ok: false; error: ProblemResult };
export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(error: ProblemResult): Result<T> => ({ ok: false, error });

export function sendProblem(reply: FastifyReply, result: ProblemResult): void {
  if (reply.sent) return;
  reply.status(result.problem.status).headers(result.headers ?? {}).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(result.problem));
}

export function sendResult<T>(reply: FastifyReply, result: Result<T>, status = 200): void {
  if (!result.ok) return sendProblem(reply, result.error);
  reply.status(status).type('application/json').send(JSON.stringify(result.value));
}

/** A refusal raised where no handler runs yet (the body parser), carried to ProblemFilter. */
export class ProblemError extends Error {
  constructor(readonly result: ProblemResult) {
    super(result.problem.detail ?? result.problem.title);
    this.name = 'ProblemError';
  }
}
