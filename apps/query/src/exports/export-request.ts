import { z } from 'zod';
import type { ExportRequest } from '@audit/export-bundle';
import type { ProblemResult } from '../http/problem';
import { parseQuery, type QueryNode } from '@audit/query-language';

/** RFC 3339 with a zone (`Z` or ±hh:mm), as the contract says; normalized to UTC milliseconds. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const rfc3339 = z
  .string()
  .regex(RFC3339, 'must be an RFC 3339 time with a zone, e.g. 2026-01-01T00:00:00Z')
  // Only for well-formed text, so one bad value gets one error.
  .refine((s) => !RFC3339.test(s) || (!Number.isNaN(Date.parse(s)) && isCalendarDate(s.slice(0, 10))), 'is not a real time (e.g. February 30th)')
  .transform((s) => new Date(s).toISOString());

/** Whether `YYYY-MM-DD` names a day that exists (Date.parse rolls 02-30 over to March). */
function isCalendarDate(date: string): boolean {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** `POST /v1/exports` body: unknown fields are refused. */
export const ExportRequestBody = z.strictObject({
  change: z.string().min(1).max(128).optional(),
  from: rfc3339.optional(),
  to: rfc3339.optional(),
  query: z.string().max(1024).optional(),
  format: z.enum(['bundle', 'ocsf']).optional(),
});

export interface ValidExportRequest {
  request: ExportRequest;
  /** The parsed query, null when none was given (or it was empty). */
  ast: QueryNode | null;
}

export interface FieldError {
  path: string;
  message: string;
}

/** 422 naming every bad field and its rule, RFC 9457 (as alerting definitions are refused). */
export function invalidExportRequest(errors: FieldError[], extensions: Record<string, unknown> = {}): ProblemResult {
  return {
    problem: {
      type: 'https://audit-ledger.dev/problems/invalid-export-request',
      title: 'The export request is not valid',
      status: 422,
      detail: errors.map((e) => `${e.path}: ${e.message}`).join('; '),
      errors,
      ...extensions,
    },
  };
}

/** Validates a request body: the schema, the time range and the query's syntax. */
export function validateExportRequest(body: unknown): { ok: true; value: ValidExportRequest } | { ok: false; error: ProblemResult } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, error: invalidExportRequest([{ path: '(body)', message: 'must be a JSON object' }]) };
  }
  const parsed = ExportRequestBody.safeParse(body);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys') return { path: issue.keys.join(', '), message: 'is not a field of an export request (allowed: change, from, to, query, format)' };
      return { path: issue.path.join('.') || '(body)', message: issue.message };
    });
    return { ok: false, error: invalidExportRequest(errors) };
  }
  const { change, from, to, query, format } = parsed.data;
  if (from && to && Date.parse(from) >= Date.parse(to)) return { ok: false, error: invalidExportRequest([{ path: 'to', message: 'must be after from' }]) };
  let ast: QueryNode | null = null;
  if (query !== undefined) {
    const result = parseQuery(query);
    if (!result.ok) {
      const { message, position, expected } = result.error;
      return { ok: false, error: invalidExportRequest([{ path: 'query', message: `${message} (at position ${position})` }], { position, expected }) };
    }
    ast = result.ast;
  }
  const request: ExportRequest = {
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(query !== undefined && ast !== null ? { query } : {}),
    ...(change ? { change } : {}),
    ...(format === 'ocsf' ? { format } : {}),
  };
  return { ok: true, value: { request, ast } };
}
