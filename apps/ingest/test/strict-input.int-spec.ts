import { createHmac, randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Pool } from '@audit/db';
import { anEventInput, aTenant } from '@audit/testing';
import { setWebhookSecret } from '../../cli/src/admin/api-keys.store';
import { fixture, k8sEventList } from './fixtures/fixtures';
import { aNamespace, anEmitter, brokers, createTopics, startApp, testConfig, testPool, type Emitter } from './support/ingest-harness';

// Each input class of issue 16 that ingest answered 202 (or 500) although the ledger cannot commit it.
// The bodies are raw text: JSON.stringify cannot write a duplicate key, and writes a lone surrogate as
// the escape `\ud800` (which JSON.parse turns back into an ill-formed string).

interface ProblemBody {
  status: number;
  detail?: string;
  errors?: { index?: number; path: string; message: string }[];
}

/** The event as JSON text with `"__X__"` (a JSON string placeholder) replaced by raw text. */
const rawEvent = (overrides: Record<string, unknown>, raw: string) => JSON.stringify(anEventInput(overrides as never)).replace('"__X__"', raw);

const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('ingest refuses what the ledger could not commit (real Kafka and Postgres)', () => {
  const namespace = aNamespace('ingest-strict');
  let app: NestFastifyApplication;
  let pool: Pool;
  let emitter: Emitter;

  beforeAll(async () => {
    await createTopics(brokers(), namespace);
    pool = testPool();
    app = await startApp(testConfig(namespace));
    emitter = await anEmitter(pool);
  });
  afterAll(async () => {
    await app?.close();
    await pool?.end();
  });

  const post = async (url: string, payload: string) => {
    const res = await app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', authorization: `Bearer ${emitter.token}` } });
    return { status: res.statusCode, body: res.json<ProblemBody>() };
  };

  const cases: [name: string, payload: string, path: string, rule: RegExp][] = [
    ['a lone high surrogate escape in reason', rawEvent({ reason: '__X__' }, '"\\ud800"'), 'reason', /surrogate/],
    ['a lone low surrogate escape in a details key', rawEvent({ details: '__X__' }, '{"\\udc00":1}'), 'details', /surrogate/],
    ['a reversed surrogate pair in a details value', rawEvent({ details: { note: '__X__' } }, '"\\udc00\\ud800"'), 'details.note', /surrogate/],
    ['an integer beyond 2^53-1', rawEvent({ details: { n: '__X__' } }, '9007199254740993'), 'details.n', /2\^53/],
    ['a decimal that does not survive as a double', rawEvent({ details: { n: '__X__' } }, '0.1000000000000000000000000001'), 'details.n', /exact/],
    ['a duplicate key', rawEvent({ changeId: '__X__' }, '"CHG-first","changeId":"CHG-second"'), 'changeId', /duplicate/],
    ['details nested 5 000 deep', rawEvent({ details: '__X__' }, `{"x":${nested(5000)}}`), 'details', /deep/],
    ['occurredAt in year 1', rawEvent({ occurredAt: '__X__' }, '"0001-01-01T00:00:00Z"'), 'occurredAt', /before/],
  ];

  it.each(cases)('POST /v1/events with %s → 4xx naming the path and the rule', async (_name, payload, path, rule) => {
    const { status, body } = await post('/v1/events', payload);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    expect(status).toBe(422);
    expect(body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.stringMatching(new RegExp(`^${path.replace(/\./g, '\\.')}`)) as unknown, message: expect.stringMatching(rule) as unknown })]));
  });

  it('POST /v1/events:batch names the event and the field (the decoder stops at the first refusal)', async () => {
    const good = JSON.stringify(anEventInput());
    const surrogate = await post('/v1/events:batch', `{"events":[${good},${rawEvent({ reason: '__X__' }, '"\\ud83d"')},${good}]}`);
    expect(surrogate).toEqual({ status: 422, body: expect.objectContaining({ errors: [{ path: 'events.1.reason', message: expect.stringMatching(/lone UTF-16 surrogate \\ud83d/) as unknown }] }) as unknown });
    const duplicate = await post('/v1/events:batch', `{"events":[${good},${good},${rawEvent({ changeId: '__X__' }, '"a","changeId":"b"')}]}`);
    expect(duplicate).toEqual({ status: 422, body: expect.objectContaining({ errors: [{ path: 'events.2.changeId', message: expect.stringMatching(/duplicate key "changeId"/) as unknown }] }) as unknown });
  });

  it('a body nested 100 000 deep (fits the batch route’s 1 MiB) → 422 at the depth bound, not a stack overflow', async () => {
    const { status, body } = await post('/v1/events:batch', `{"events":[${'['.repeat(100_000)}${']'.repeat(100_000)}]}`);
    expect(status).toBe(422);
    expect(body.errors).toEqual([{ path: `events${'.0'.repeat(63)}`, message: 'nests deeper than 64 levels (the limit of JSON nesting)' }]);
  });

  it('a syntax error is still 400 (malformed), and a valid event with a real surrogate pair is accepted', async () => {
    expect((await post('/v1/events', '{"type":')).status).toBe(400);
    const ok = await post('/v1/events', rawEvent({ reason: '__X__' }, '"deploy \\ud83d\\ude80 now"'));
    expect(ok.status).toBe(202);
  });

  it('the Terraform adapter refuses a lone surrogate and a duplicate key in the plan', async () => {
    const plan = fixture('terraform/plan_basic_aws.json').toString('utf8');
    const tf = (body: string) => post('/v1/adapters/terraform/plan?changeId=CHG-tf-strict&environment=prod', body);
    const surrogate = await tf(plan.replace(/^\{/, '{"x_note":"\\udbff",'));
    expect(surrogate.status).toBe(422);
    expect(surrogate.body.errors?.[0]).toMatchObject({ path: 'x_note', message: expect.stringMatching(/surrogate/) as unknown });
    const duplicate = await tf(plan.replace(/^\{/, '{"format_version":"0.1",'));
    expect(duplicate.status).toBe(422);
    expect(duplicate.body.errors?.[0]).toMatchObject({ path: 'format_version', message: expect.stringMatching(/duplicate/) as unknown });
  });

  it('the Kubernetes adapter refuses an integer beyond 2^53-1 inside an item', async () => {
    const list = JSON.stringify(k8sEventList('delete_secret.json')).replace('"kind":"EventList"', '"kind":"EventList","x":9007199254740993');
    const res = await app.inject({ method: 'POST', url: '/v1/adapters/k8s/audit?environment=minikube', payload: list, headers: { 'content-type': 'application/json', 'x-api-key': emitter.token } });
    expect(res.statusCode).toBe(422);
    expect(res.json<ProblemBody>().errors?.[0]).toMatchObject({ path: 'x', message: expect.stringMatching(/2\^53/) as unknown });
  });

  it('the GitHub webhook refuses a duplicate key in a signed delivery', async () => {
    const tenant = aTenant('gh');
    const secret = `s-${randomUUID()}`;
    await setWebhookSecret(pool, tenant, 'github', secret);
    const body = Buffer.from(fixture('github/deployment.created.json').toString('utf8').replace(/^\{/, '{"action":"deleted",'));
    const res = await app.inject({
      method: 'POST',
      url: `/v1/webhooks/github/${tenant}`,
      payload: body,
      headers: { 'content-type': 'application/json', 'x-github-event': 'deployment', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json<ProblemBody>().errors?.[0]).toMatchObject({ path: 'action', message: expect.stringMatching(/duplicate/) as unknown });
  });
});
