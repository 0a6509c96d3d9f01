import fc from 'fast-check';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Pool } from '@audit/db';
import { verifyTenantLedger } from '@audit/ledger-store';
import { anEventInput, expectEventually } from '@audit/testing';
import { LedgerHarness } from '../../ledger/test/ledger-harness';
import { anEmitter, startApp, testConfig, testPool, type Emitter } from './support/ingest-harness';

// Issue 16, deliverable 7: what ingest accepts, the ledger can commit. Random and adversarial bodies go
// through the real HTTP API (real Kafka, real Postgres) with the REAL ledger consuming the same topic:
// every answer is 202 or 4xx, every 202'd event is committed, the tenant's ledger verifies, and a valid
// event sent after the fuzz is committed too (the partition keeps moving). All cases use one tenant,
// so one uncommittable record would stall exactly the partition the final check watches.
// Bodies are raw JSON text: JSON.stringify cannot write a duplicate key, a lone surrogate as `\ud800`
// inside text we control, or an integer it has already rounded.
const SEED = 20261204;
const TIME_LIMIT_MS = 45_000;

/** Escapes written raw into a JSON string: lone and paired surrogates, controls, noncharacters, BOM, separators. */
const ESCAPES = ['\\ud800', '\\udbff', '\\udc00', '\\udfff', '\\ud83d\\ude80', '\\ude80\\ud83d', '\\ud800\\ud800', '\\u0000', '\\u001f', '\\u007f', '\\u0085', '\\u2028', '\\u2029', '\\ufeff', '\\ufffe', '\\uffff', '\\u0301', '\\"', '\\\\', '\\/'];

/** The inside of a JSON string: raw escapes mixed with arbitrary UTF-16 (lone surrogates included, raw). */
const stringBody = fc
  .array(
    fc.oneof(
      fc.constantFrom(...ESCAPES),
      fc.string({ unit: 'binary', maxLength: 6 }).map((s) => JSON.stringify(s).slice(1, -1)),
      fc.string({ unit: 'grapheme', maxLength: 6 }).map((s) => JSON.stringify(s).slice(1, -1)),
    ),
    { maxLength: 4 },
  )
  .map((parts) => parts.join(''));
const rawString = stringBody.map((s) => `"${s}"`);

/** Number texts around and beyond what a double holds exactly. */
const rawNumber = fc.oneof(
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.constantFrom('9007199254740991', '9007199254740992', '9007199254740993', '-9007199254740993', '1e400', '-1e400', '1e-400', '3e-324', '5e-324', '0.1000000000000000000000000001', '1.7976931348623157e308', '-0', '0e99999'),
);

const depth = fc.oneof(fc.integer({ min: 1, max: 12 }), fc.constantFrom(15, 16, 17, 63, 64, 65, 5_000, 100_000));
const rawDeep = fc.tuple(depth, fc.boolean()).map(([d, objects]) => (objects ? `${'{"a":'.repeat(d)}1${'}'.repeat(d)}` : `${'['.repeat(d)}${']'.repeat(d)}`));

const rawValue = fc.oneof(rawString, rawNumber, rawDeep, fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' }).map((v) => JSON.stringify(v)));

const occurredAt = fc.oneof(
  fc.constantFrom('0001-01-01T00:00:00Z', '1969-12-31T23:59:59Z', '1970-01-01T00:00:00Z', '1999-12-31T23:59:59.999Z', '2000-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '2026-11-25T10:00:00+14:00', '2026-11-25T10:00:00-12:00'),
  fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString()),
).map((s) => JSON.stringify(s));

/** Where a valid event gets a raw piece of text: `"__X__"` in its JSON is replaced by it. */
const mutation = fc.oneof(
  rawString.map((raw) => ({ at: { reason: '__X__' }, raw })),
  rawString.map((raw) => ({ at: { changeId: '__X__' }, raw })),
  rawString.map((raw) => ({ at: { actor: { id: 'alice', type: 'user', displayName: '__X__' } }, raw })),
  rawValue.map((raw) => ({ at: { details: { k: '__X__' } }, raw })),
  fc.tuple(stringBody, rawValue).map(([key, value]) => ({ at: { details: '__X__' }, raw: `{"${key}":${value}}` })),
  occurredAt.map((raw) => ({ at: { occurredAt: '__X__' }, raw })),
  // Duplicate keys, at the top and inside details.
  fc.tuple(rawString, rawString).map(([a, b]) => ({ at: { changeId: '__X__' }, raw: `${a},"changeId":${b}` })),
  fc.tuple(rawValue, rawValue).map(([a, b]) => ({ at: { details: '__X__' }, raw: `{"a":${a},"a":${b}}` })),
  // Well-formed text that must be accepted and committed as is.
  fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => ({ at: { reason: '__X__' }, raw: JSON.stringify(s) })),
  fc.jsonValue({ maxDepth: 3 }).map((v) => ({ at: { details: { k: '__X__' } }, raw: JSON.stringify(v) })),
);

const eventText = mutation.map(({ at, raw }) => JSON.stringify(anEventInput({ changeId: 'CHG-fuzz', ...(at as object) })).replace('"__X__"', raw));

const request = fc.oneof(
  { weight: 6, arbitrary: eventText.map((payload) => ({ url: '/v1/events', payload })) },
  { weight: 2, arbitrary: fc.array(eventText, { minLength: 1, maxLength: 3 }).map((events) => ({ url: '/v1/events:batch', payload: `{"events":[${events.join(',')}]}` })) },
  { weight: 1, arbitrary: rawValue.map((payload) => ({ url: '/v1/events', payload })) },
);

describe('fuzz: what ingest accepts, the ledger commits (real Kafka, Postgres and ledger)', () => {
  const ledger = new LedgerHarness();
  let app: NestFastifyApplication;
  let pool: Pool;
  let emitter: Emitter;

  beforeAll(async () => {
    await ledger.start();
    pool = testPool();
    emitter = await anEmitter(pool);
    app = await startApp(testConfig(ledger.namespace, { RATE_LIMIT_PER_SECOND: '1000000', RATE_LIMIT_BURST: '1000000' }));
  });
  afterAll(async () => {
    await app?.close();
    await pool?.end();
    await ledger.close();
  });

  const post = (url: string, payload: string) =>
    app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', authorization: `Bearer ${emitter.token}` } });

  it(`every answer is 202 or 4xx; every 202'd event is committed and verifies; the partition keeps moving (seed ${SEED}, ≤ ${TIME_LIMIT_MS / 1000} s)`, async () => {
    const accepted: string[] = [];
    const statuses = new Map<number, number>();
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(request, async ({ url, payload }) => {
        cases++;
        const res = await post(url, payload);
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode >= 500) throw new Error(`${res.statusCode} from ${url} for ${payload.slice(0, 300)}: ${res.body}`);
        expect([202, 400, 413, 422]).toContain(res.statusCode);
        if (res.statusCode === 202) {
          const body = res.json<{ id?: string; ids?: string[] }>();
          accepted.push(...(body.ids ?? (body.id ? [body.id] : [])));
        } else {
          const problem = res.json<{ status: number; errors?: { path: unknown; message: unknown }[] }>();
          expect(problem.status).toBe(res.statusCode);
          for (const e of problem.errors ?? []) expect({ path: typeof e.path, message: typeof e.message }).toEqual({ path: 'string', message: 'string' });
        }
      }),
      { seed: SEED, numRuns: 1_000_000, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
    );
    process.stdout.write(`fuzz: ${cases} cases, statuses ${JSON.stringify(Object.fromEntries(statuses))}, ${accepted.length} events accepted\n`);
    // The run exercised both sides: accepted events (to commit) and refusals.
    expect(cases).toBeGreaterThan(500);
    expect(accepted.length).toBeGreaterThan(50);
    expect(statuses.get(422) ?? 0).toBeGreaterThan(50);

    const last = await post('/v1/events', JSON.stringify(anEventInput({ changeId: 'CHG-after-fuzz' })));
    expect(last.statusCode).toBe(202);
    const lastId = last.json<{ id: string }>().id;
    const expected = [...accepted, lastId].sort();
    await expectEventually(async () => expect((await ledger.rows(emitter.tenant)).map((r) => r.event_id).sort()).toEqual(expected), { timeoutMs: 90_000 });
    await expectEventually(
      async () =>
        expect(await verifyTenantLedger(ledger.pool, emitter.tenant, ledger.trustedKeys, { origin: `audit-ledger.local/tenant/${emitter.tenant}` })).toMatchObject({
          ok: true,
          rows: expected.length,
          problems: 0,
          checkpointedSize: expected.length,
        }),
      { timeoutMs: 30_000 },
    );
  }, 240_000);
});
