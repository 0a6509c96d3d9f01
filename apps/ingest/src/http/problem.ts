import type { FieldIssue, Problem, ProblemIssue } from '@audit/contracts';

/**
 * RFC 9457 problem details. Every refusal of the ingest API is one of these values, built here and turned
 * into a response only at the HTTP edge, so handlers return errors as values instead of throwing.
 */
export const PROBLEM_BASE = 'https://audit-ledger.dev/problems/';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** A problem plus the response headers it needs (Retry-After for 429/503, WWW-Authenticate for 401). */
export interface ProblemResult {
  problem: Problem;
  headers?: Record<string, string>;
}

function problem(slug: string, title: string, status: number, detail?: string, errors?: ProblemIssue[], headers?: Record<string, string>): ProblemResult {
  return {
    problem: { type: `${PROBLEM_BASE}${slug}`, title, status, ...(detail ? { detail } : {}), ...(errors ? { errors } : {}) },
    ...(headers ? { headers } : {}),
  };
}

export const Problems = {
  malformed: (detail: string) => problem('malformed-request', 'Malformed request body', 400, detail),
  badParameter: (errors: FieldIssue[]) => problem('invalid-parameter', 'Invalid request parameter', 400, 'a query or header parameter is invalid', errors),
  unauthenticated: (detail: string) =>
    problem('unauthenticated', 'Authentication required', 401, detail, undefined, { 'WWW-Authenticate': 'Bearer realm="audit-ledger"' }),
  badSignature: (detail: string) => problem('invalid-signature', 'Invalid webhook signature', 401, detail),
  forbidden: (detail: string, errors?: ProblemIssue[]) => problem('forbidden', 'Not allowed for this API key', 403, detail, errors),
  /** Each error's message starts with the rule (`reserved-event-type`, `reserved-source-system`). */
  reserved: (detail: string, errors: ProblemIssue[]) => problem('reserved-assertion', 'Only the audit ledger itself may assert this', 403, detail, errors),
  notFound: (detail: string) => problem('not-found', 'Not found', 404, detail),
  methodNotAllowed: (detail: string) => problem('method-not-allowed', 'Method not allowed', 405, detail),
  idempotencyConflict: (key: string) =>
    problem('idempotency-conflict', 'Idempotency key reused with a different request', 409, `the key "${key}" was first used with a different request body`),
  tooLarge: (detail: string) => problem('payload-too-large', 'Request body too large', 413, detail),
  unsupportedMediaType: (detail: string) => problem('unsupported-media-type', 'Unsupported media type', 415, detail),
  invalid: (detail: string, errors: ProblemIssue[]) => problem('validation-failed', 'The request does not match the schema', 422, detail, errors),
  rateLimited: (retryAfterSeconds: number) =>
    problem('rate-limited', 'Too many requests', 429, `this API key exceeded its rate limit; retry after ${retryAfterSeconds} s`, undefined, {
      'Retry-After': String(retryAfterSeconds),
    }),
  unavailable: (detail: string, retryAfterSeconds: number) =>
    problem('unavailable', 'Service temporarily unavailable', 503, detail, undefined, { 'Retry-After': String(retryAfterSeconds) }),
  internal: () => problem('internal', 'Internal error', 500, 'the request could not be processed; it was not accepted'),
} as const;

export type Result<T> = { ok: true; value: T } | { ok: false; error: ProblemResult };
export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(error: ProblemResult): Result<T> => ({ ok: false, error });
