import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseStrictJson } from '@audit/contracts';
import { ProblemError, Problems } from './problem';

const JSON_TYPES = /^application\/(?:[a-z0-9.-]+\+)?json(?:\s*;.*)?$/i;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The query service's JSON bodies (alert rules, channels, exports, acknowledgements) become ledger
 * events too, so they are decoded by the contract's strict decoder: not JSON → 400, a duplicate key, a
 * lone surrogate, an inexact number or nesting beyond 64 → 422 naming the path and the rule. Replaces
 * every parser (Nest's body parser is off for this app): other content types are 415.
 */
export function registerStrictJsonBody(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(JSON_TYPES, { parseAs: 'buffer' }, (_request: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void) => {
    let text: string;
    try {
      text = UTF8.decode(body);
    } catch {
      return done(new ProblemError(Problems.malformed('the body is not valid UTF-8')));
    }
    const decoded = parseStrictJson(text);
    if (decoded.ok) return done(null, decoded.value);
    const { error } = decoded;
    if (error.kind === 'syntax') return done(new ProblemError(Problems.malformed(`the body is not valid JSON: ${error.message}`)));
    done(new ProblemError(Problems.invalidBody('the body breaks a strict-JSON rule', [{ path: error.path, message: error.message }])));
  });
}
