import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseStrictJson } from '@audit/contracts';
import { Problems, ProblemError } from './problem';

const JSON_TYPES = /^application\/(?:[a-z0-9.-]+\+)?json(?:\s*;.*)?$/i;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Replaces Fastify's JSON body parser with the contract's strict decoder, for every route of the service
 * (approvals, gate, policies): a comment with a lone surrogate would otherwise become an approval event
 * the ledger cannot canonicalize, and a duplicate `decision` key would be read as its last value.
 * Not JSON → 400; JSON that breaks a strict rule → 422 naming the path and the rule.
 * Registered at module init (before Fastify is ready), so tests booting the module get it too. Other
 * content types have no parser (415).
 */
@Injectable()
export class StrictJsonBody implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    // All of them: Nest re-adds 'application/json' over Fastify's default, which leaves a second entry
    // that removing it by name does not clear (Fastify 5.4), and every route here takes JSON only, so
    // any other content type is now a 415 as at ingest.
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser(JSON_TYPES, { parseAs: 'buffer' }, (_request: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void) => {
      const decoded = decodeStrictJsonBody(body);
      if (decoded instanceof ProblemError) return done(decoded);
      done(null, decoded.value);
    });
  }
}

export function decodeStrictJsonBody(body: Buffer): ProblemError | { value: unknown } {
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    return new ProblemError(Problems.malformed('the body is not valid UTF-8'));
  }
  const decoded = parseStrictJson(text);
  if (decoded.ok) return { value: decoded.value };
  const { error } = decoded;
  if (error.kind === 'syntax') return new ProblemError(Problems.malformed(`the body is not valid JSON: ${error.message}`));
  return new ProblemError(Problems.invalid('the body breaks a strict-JSON rule', [{ path: error.path, message: error.message }]));
}
