import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { parseEnv } from '@audit/config';
import { createLogger, initTracing } from '@audit/observability';
import { anEventInput, aTenant, expectEventually } from '@audit/testing';
import { createApiKey } from '../../cli/src/admin/api-keys.store';
import { IngestEnv } from '../../ingest/src/config';
import { createIngestApp } from '../../ingest/src/ingest.app';
import { QueryEnv } from '../../query/src/config';
import { createQueryApp } from '../../query/src/query.app';
import { LedgerHarness } from './ledger-harness';

/**
 * One event's trace, from the HTTP request at ingest through Kafka to the ledger commit and the
 * OpenSearch/Postgres projections, as connected spans (in-memory exporter here; OTLP in production).
 */
describe('tracing across the pipeline', () => {
  const exporter = new InMemorySpanExporter();
  const shutdown = initTracing('pipeline-test', { exporter });
  const ledger = new LedgerHarness();
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  const prefix = `tr-${randomBytes(3).toString('hex')}`;
  let ingest: NestFastifyApplication;
  let query: NestFastifyApplication;

  beforeAll(async () => {
    await ledger.start();
    const logger = createLogger('tracing-test', 'warn');
    ingest = await createIngestApp(parseEnv(IngestEnv, { ...process.env, KAFKA_TOPIC_NAMESPACE: ledger.namespace, LOG_LEVEL: 'warn', INTAKE_ENABLED: 'false' }), logger);
    query = await createQueryApp(
      parseEnv(QueryEnv, { ...process.env, LOG_LEVEL: 'warn', KAFKA_TOPIC_NAMESPACE: ledger.namespace, OPENSEARCH_INDEX_PREFIX: prefix, QUERY_CONSUMER_GROUP_PREFIX: ledger.namespace }),
      logger,
    );
  }, 120_000);

  afterAll(async () => {
    await query?.close();
    await ingest?.close();
    await ledger.close();
    await pool.end();
    await shutdown();
  });

  it('links HTTP → publish → ledger commit → announce → projection in one trace', async () => {
    const tenant = aTenant('trace');
    const key = await createApiKey(pool, { tenant, sources: [], types: [] });
    const res = await ingest.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${key.token}`, 'content-type': 'application/json' },
      payload: anEventInput(),
    });
    expect(res.statusCode).toBe(202);

    const ingestedTopic = `${ledger.namespace}.audit.ingested.v1`;
    const committedTopic = `${ledger.namespace}.audit.committed.v1`;
    const byName = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
    const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

    const chain = await expectEventually(
      () => {
        const spans = exporter.getFinishedSpans();
        const http = byName(spans, 'HTTP POST /v1/events').at(-1);
        expect(http).toBeDefined();
        const traceId = http!.spanContext().traceId;
        const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
        const publish = byName(inTrace, `publish ${ingestedTopic}`)[0];
        const consume = byName(inTrace, `process ${ingestedTopic}`)[0];
        const commit = byName(inTrace, 'ledger.commit')[0];
        const announce = byName(inTrace, `publish ${committedTopic}`)[0];
        const projections = byName(inTrace, `process ${committedTopic}`);
        expect(publish && consume && commit && announce).toBeTruthy();
        expect(projections.length).toBeGreaterThanOrEqual(1);
        return { http: http!, publish: publish!, consume: consume!, commit: commit!, announce: announce!, projections };
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    // Parent links, hop by hop: every span below belongs to the request's trace through its parent.
    expect(parentOf(chain.publish)).toBe(chain.http.spanContext().spanId);
    expect(parentOf(chain.consume)).toBe(chain.publish.spanContext().spanId);
    expect(parentOf(chain.commit)).toBe(chain.consume.spanContext().spanId);
    for (const p of chain.projections) expect(parentOf(p)).toBe(chain.commit.spanContext().spanId);
    expect(chain.announce.spanContext().traceId).toBe(chain.http.spanContext().traceId);

    // The ledger's /metrics carries the same trace id as an exemplar of its batch histogram.
    const metrics = await ledger.app!.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain(`traceId="${chain.commit.spanContext().traceId}"`);
  });
});
