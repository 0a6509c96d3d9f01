import fc from 'fast-check';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Pool } from '@audit/db';
import { anEventInput } from '@audit/testing';
import { aNamespace, anEmitter, brokers, createTopics, startApp, testConfig, testPool, type Emitter } from './support/ingest-harness';

// Thousands of random and mutated requests through the real Nest/Fastify app (publishing to real Kafka,
// idempotency in real Postgres): no 5xx, no crash, every refusal a problem+json. Fixed seed: reproducible.
const SEED = 20261125;
const RUNS = 3000;

const ROUTES = ['/v1/events', '/v1/events:batch', '/v1/adapters/terraform/plan?changeId=C&environment=prod', '/v1/adapters/k8s/audit?environment=prod', '/v1/webhooks/github/acme', '/v1/events?x=%ff', '/v1/nowhere'];
const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'application/merge-patch+json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', ''];

const fieldPaths = ['type', 'occurredAt', 'actor', 'actor.id', 'actor.type', 'actor.roles', 'resource', 'resource.kind', 'resource.environment', 'changeId', 'artifact', 'artifact.digest', 'details', 'reason', 'outcome', 'idempotencyKey', 'version', 'tenant', '__proto__', 'constructor'];

/** A valid event with one field replaced, removed or added. */
const mutatedEvent = fc.tuple(fc.constantFrom(...fieldPaths), fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.string({ unit: 'binary' }), fc.constant('2999-01-01T00:00:00Z'), fc.constant('\u0000'))).map(([path, value]) => {
  const event = JSON.parse(JSON.stringify(anEventInput({ changeId: 'CHG-fuzz' }))) as Record<string, unknown>;
  const [head, tail] = path.split('.') as [string, string | undefined];
  if (tail === undefined) {
    if (value === undefined) delete event[head];
    else event[head] = value;
  } else {
    const inner = (typeof event[head] === 'object' && event[head] !== null ? event[head] : {}) as Record<string, unknown>;
    if (value === undefined) delete inner[tail];
    else inner[tail] = value;
    event[head] = inner;
  }
  return event;
});

const body = fc.oneof(
  { weight: 4, arbitrary: mutatedEvent.map((e) => JSON.stringify(e)) },
  { weight: 2, arbitrary: fc.array(mutatedEvent, { maxLength: 5 }).map((events) => JSON.stringify({ events })) },
  { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: mutatedEvent.map((e) => JSON.stringify(e)).chain((s) => fc.nat(s.length).map((n) => s.slice(0, n))) },
  { weight: 1, arbitrary: fc.constant(JSON.stringify({ apiVersion: 'audit.k8s.io/v1', kind: 'EventList', items: [{ auditID: 'x', stage: 'ResponseComplete', verb: 'get', user: {} }] })) },
);

describe('fuzz: random and mutated requests', () => {
  const namespace = aNamespace('ingest-fuzz');
  let app: NestFastifyApplication;
  let pool: Pool;
  let emitter: Emitter;

  beforeAll(async () => {
    await createTopics(brokers(), namespace);
    pool = testPool();
    emitter = await anEmitter(pool);
    app = await startApp(testConfig(namespace, { RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' }));
  });
  afterAll(async () => {
    await app?.close();
    await pool?.end();
  });

  it('serves the OpenAPI document and the docs page', async () => {
    const doc = await app.inject({ method: 'GET', url: '/docs/openapi.json' });
    expect(doc.statusCode).toBe(200);
    expect(doc.json<{ openapi: string }>().openapi).toBe('3.1.0');
    expect((await app.inject({ method: 'GET', url: '/docs' })).headers['content-type']).toMatch(/text\/html/);
  });

  it(`never answers 5xx (${RUNS} cases, seed ${SEED})`, async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        fc.constantFrom(...CONTENT_TYPES),
        body,
        fc.constantFrom('bearer', 'x-api-key', 'none', 'garbage'),
        fc.option(fc.string({ maxLength: 300 }), { nil: undefined }),
        async (url, contentType, payload, auth, idempotencyKey) => {
          const headers: Record<string, string> = {};
          if (contentType) headers['content-type'] = contentType;
          if (auth === 'bearer') headers.authorization = `Bearer ${emitter.token}`;
          if (auth === 'x-api-key') headers['x-api-key'] = emitter.token;
          if (auth === 'garbage') headers.authorization = 'Bearer \u00ff\u0000';
          if (idempotencyKey !== undefined && /^[\x20-\x7e]*$/.test(idempotencyKey)) headers['idempotency-key'] = idempotencyKey;
          headers['x-hub-signature-256'] = 'sha256=00';
          const res = await app.inject({ method: 'POST', url, payload, headers });
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          expect(res.statusCode).toBeLessThan(500);
          if (res.statusCode >= 400) {
            expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
            const problem = res.json<{ status: number; title: string }>();
            expect(problem.status).toBe(res.statusCode);
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    // The run must have exercised acceptance as well as every kind of refusal.
    expect([...statuses.keys()]).toEqual(expect.arrayContaining([202, 400, 401, 404, 415, 422]));
  });
});
