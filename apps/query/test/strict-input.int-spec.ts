import { aTenant } from '@audit/testing';
import { AlertingHarness } from './support/alerting-harness';

// The query service's bodies become ledger events too (alert.rule.changed, export.created): a rule
// name with a lone surrogate (JSON escape `\ud800`) failed the event schema deep in the handler — a
// 500. Bodies are now decoded by the contract's strict decoder: 422 naming the path and the rule.
describe('query refuses bodies the ledger could not commit (real Kafka, Postgres, OpenSearch)', () => {
  const h = new AlertingHarness();
  const tenant = aTenant('strict');
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  const put = async (payload: string) => {
    const res = await h.app.inject({ method: 'PUT', url: '/v1/alert-rules/strict', payload, headers: { authorization: `Bearer ${await h.token(tenant, ['admin'])}`, 'content-type': 'application/json' } });
    return { status: res.statusCode, body: res.json<{ errors?: { path: string; message: string }[] }>() };
  };

  it.each([
    ['a lone surrogate in the rule name', '{"type":"match","name":"x \\ud800"}', 'name', /lone UTF-16 surrogate/],
    ['a duplicate key', '{"type":"match","name":"a","name":"b"}', 'name', /duplicate key/],
    ['an integer beyond 2^53-1', '{"type":"frequency","name":"f","threshold":9007199254740993,"window":"5m"}', 'threshold', /2\^53/],
  ])('PUT /v1/alert-rules with %s → 422 naming the path and the rule', async (_name, payload, path, message) => {
    expect(await put(payload)).toEqual({ status: 422, body: expect.objectContaining({ errors: [{ path, message: expect.stringMatching(message) as unknown }] }) as unknown });
  });

  it('a well-formed rule is still created; a syntax error is a 400', async () => {
    expect((await put('{"type":"match","name":"ok \\ud83d\\ude80"}')).status).toBe(201);
    expect((await put('{"type":')).status).toBe(400);
  });
});
