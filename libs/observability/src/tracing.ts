import { context, propagation, ROOT_CONTEXT, trace, type Context, type Link, type Span, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';

export { context, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';

let initialized = false;

/**
 * Tracing is off by default (the API's no-op tracer: nothing recorded, nothing exported). It turns on when
 * OTEL_EXPORTER_OTLP_ENDPOINT is configured (spans exported over OTLP/HTTP in batches), or when a test
 * hands in an exporter (e.g. an in-memory one). Context follows async work through AsyncLocalStorage and
 * crosses Kafka as W3C `traceparent` headers.
 */
export function initTracing(service: string, options: { otlpEndpoint?: string; exporter?: SpanExporter } = {}): () => Promise<void> {
  const exporter = options.exporter ?? (options.otlpEndpoint ? new OTLPTraceExporter({ url: `${options.otlpEndpoint.replace(/\/$/, '')}/v1/traces` }) : undefined);
  if (!exporter || initialized) return async () => undefined;
  initialized = true;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [options.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return () => provider.shutdown();
}

export function tracer(name: string): Tracer {
  return trace.getTracer(name);
}

/** The trace id of the active span, for log lines and metric exemplars; undefined when not tracing. */
export function activeTraceId(ctx: Context = context.active()): string | undefined {
  const sc = trace.getSpanContext(ctx);
  return sc && trace.isSpanContextValid(sc) ? sc.traceId : undefined;
}

/** W3C trace-context headers of `ctx` (empty when not tracing). */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** The context carried by message headers (Kafka gives values as Buffers). */
export function contextFromHeaders(headers: Record<string, unknown> | undefined): Context {
  const carrier: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (typeof v === 'string') carrier[k] = v;
    else if (Buffer.isBuffer(v)) carrier[k] = v.toString('utf8');
  }
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/** Links to the (valid) span contexts behind a batch of messages: a batch span has many parents. */
export function linksFrom(contexts: Context[], max = 64): Link[] {
  const links: Link[] = [];
  for (const c of contexts) {
    const sc = trace.getSpanContext(c);
    if (sc && trace.isSpanContextValid(sc)) links.push({ context: sc });
    if (links.length >= max) break;
  }
  return links;
}

/** Runs `fn` inside `span` (made active), ending it afterwards and recording a failure. */
export async function inSpan<T>(span: Span, fn: () => Promise<T>): Promise<T> {
  try {
    return await context.with(trace.setSpan(context.active(), span), fn);
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: 2, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}
