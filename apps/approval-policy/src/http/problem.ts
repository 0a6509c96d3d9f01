import type { FastifyReply } from 'fastify';

/** RFC 9457 problem details; `errors` name the field path and the rule (and, for CEL, the position). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { path: string; message: string; position?: unknown }[];
  [extension: string]: unknown;
}

const BASE = 'https://audit-ledger.dev/problems/';
const problem = (slug: string, title: string, status: number, detail?: string, extra: Partial<Problem> = {}): Problem => ({
  type: `${BASE}${slug}`,
  title,
  status,
  ...(detail ? { detail } : {}),
  ...extra,
});

export const Problems = {
  malformed: (detail: string) => problem('malformed-request', 'Malformed request', 400, detail),
  unauthenticated: (detail: string) => problem('unauthenticated', 'Authentication required', 401, detail),
  forbidden: (detail: string, extra: Partial<Problem> = {}) => problem('forbidden', 'Forbidden', 403, detail, extra),
  notFound: (detail: string) => problem('not-found', 'Not found', 404, detail),
  conflict: (detail: string, extra: Partial<Problem> = {}) => problem('conflict', 'Conflict', 409, detail, extra),
  invalid: (detail: string, errors: Problem['errors']) => problem('validation-failed', 'The request does not match the schema', 422, detail, { errors }),
  invalidPolicy: (errors: Problem['errors']) => problem('invalid-policy', 'The policy is invalid', 422, `${errors?.length ?? 0} problem(s) in the policy`, { errors }),
  unavailable: (detail: string) => problem('unavailable', 'Service temporarily unavailable', 503, detail),
  internal: () => problem('internal', 'Internal error', 500, 'the request could not be processed'),
} as const;

/** A refusal carried to the HTTP edge as a value. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ProblemError';
  }
}

export function sendProblem(reply: FastifyReply, p: Problem): void {
  const headers: Record<string, string> = p.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="audit-ledger"' } : p.status === 503 ? { 'Retry-After': '5' } : {};
  reply.status(p.status).headers(headers).type('application/problem+json').send(JSON.stringify(p));
}

export function sendJson(reply: FastifyReply, status: number, body: unknown): void {
  reply.status(status).type('application/json').send(JSON.stringify(body));
}
