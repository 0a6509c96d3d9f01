import type { FastifyInstance, FastifyRequest } from 'fastify';
import { decodeJsonBody } from './json-body';
import { Problems } from './problem';
import { ProblemError } from './problem-error';

declare module 'fastify' {
  interface FastifyRequest {
    /** The exact bytes received: signatures, plan digests and idempotency fingerprints are computed over them. */
    rawBody?: Buffer;
  }
}

export interface BodyLimits {
  /** Largest body on any route (Fastify stops reading beyond it). */
  max: number;
  /** Tighter limits per route URL as registered (e.g. `/v1/events`). */
  perRoute: Record<string, number>;
}

const JSON_TYPES = /^application\/(?:[a-z0-9.-]+\+)?json(?:\s*;.*)?$/i;

function limitFor(request: FastifyRequest, limits: BodyLimits): number {
  const url = request.routeOptions.url;
  return (url !== undefined ? limits.perRoute[url] : undefined) ?? limits.max;
}

/**
 * Replaces Fastify's body parsers by one that keeps the raw bytes and refuses, as problems, what is not
 * JSON. Any other content type is left without a parser, so Fastify answers 415 (mapped by ProblemFilter).
 */
export function configureHttp(fastify: FastifyInstance, limits: BodyLimits): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(JSON_TYPES, { parseAs: 'buffer', bodyLimit: limits.max }, (request: FastifyRequest, bytes: Buffer, done: (err: Error | null, body?: unknown) => void) => {
    const limit = limitFor(request, limits);
    if (bytes.length > limit) return done(new ProblemError(Problems.tooLarge(`this endpoint accepts at most ${limit} bytes (got ${bytes.length})`)), undefined);
    request.rawBody = bytes;
    const decoded = decodeJsonBody(bytes);
    if (!decoded.ok) return done(new ProblemError(decoded.error), undefined);
    done(null, decoded.value);
  });
  // Refuse a declared oversize body before reading it.
  fastify.addHook('onRequest', async (request) => {
    const declared = Number(request.headers['content-length']);
    const limit = limitFor(request, limits);
    if (Number.isFinite(declared) && declared > limit) {
      throw new ProblemError(Problems.tooLarge(`this endpoint accepts at most ${limit} bytes (got ${declared})`));
    }
  });
}
