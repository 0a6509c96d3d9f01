import type { FastifyInstance, FastifyRequest } from 'fastify';
import { context, contextFromHeaders, SpanKind, trace, tracer, type Span } from '../tracing';

/**
 * A SERVER span per HTTP request (continuing an incoming `traceparent`), made active for the handler so
 * that what it publishes to Kafka carries the same trace. Active context is entered in `preHandler`,
 * after the body was read, because body parsing runs in the socket's async context, not ours.
 */
export function registerHttpTracing(fastify: FastifyInstance): void {
  const spans = new WeakMap<FastifyRequest, Span>();
  fastify.addHook('onRequest', (request, _reply, done) => {
    const span = tracer('audit-ledger/http').startSpan(
      `HTTP ${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'url.path': request.url.split('?')[0] } },
      contextFromHeaders(request.headers as Record<string, unknown>),
    );
    spans.set(request, span);
    done();
  });
  fastify.addHook('preHandler', (request, _reply, done) => {
    const span = spans.get(request);
    if (!span) return done();
    context.with(trace.setSpan(context.active(), span), done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const span = spans.get(request);
    span?.setAttribute('http.response.status_code', reply.statusCode);
    span?.end();
    done();
  });
}
