import { aDigest } from '@audit/testing';
import { ApprovalHarness, E2E_POLICY, story } from './support/approval-harness';

// The approvals API answered 202 to a comment holding a lone surrogate (JSON escape `\ud800`), and the
// ledger then could not canonicalize the approval event. Every route of the service now decodes bodies
// with the contract's strict decoder. Bodies are raw text (JSON.stringify cannot write these).
describe('approval-policy refuses bodies the ledger could not commit (real Kafka, Postgres and ledger)', () => {
  const h = new ApprovalHarness();
  const change = 'CHG-strict-1';
  const plan = aDigest();
  let admin: string, bob: string, pipeline: string;

  beforeAll(async () => {
    await h.start();
    [admin, bob, pipeline] = await Promise.all([
      h.token({ sub: 'root-admin', roles: ['admin'] }),
      h.token({ sub: 'bob', groups: ['sre'] }),
      h.token({ sub: 'deploy-pipeline', groups: ['pipelines'] }),
    ]);
    expect((await h.inject('PUT', '/v1/policies', admin, E2E_POLICY)).statusCode).toBe(201);
    const s = story(change);
    await h.emit(s.request('alice'));
    await h.emit(s.plan(plan));
    await h.viewHas(change, 2);
  });
  afterAll(() => h.close());

  const raw = async (method: 'POST' | 'PUT', url: string, token: string, payload: string) => {
    const res = await h.app.inject({ method, url, payload, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
    return { status: res.statusCode, body: res.json<{ errors?: { path: string; message: string }[]; detail?: string }>() };
  };
  const approvals = `/v1/changes/${change}/approvals`;

  it.each([
    ['a lone surrogate in comment', `{"decision":"approve","planDigest":"${plan}","comment":"ok \\ud800"}`, 'comment', /lone UTF-16 surrogate/],
    ['a duplicate decision key', `{"decision":"reject","decision":"approve","planDigest":"${plan}"}`, 'decision', /duplicate key/],
    ['a body nested 100 000 deep', `{"decision":"approve","planDigest":"${plan}","comment":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, 'comment', /deeper than 64/],
    ['an integer beyond 2^53-1', `{"decision":"approve","planDigest":"${plan}","n":9007199254740993}`, 'n', /2\^53/],
  ])('POST approvals with %s → 422 naming the path and the rule, and nothing is recorded', async (_name, payload, path, message) => {
    const { status, body } = await raw('POST', approvals, bob, payload);
    expect(status).toBe(422);
    expect(body.errors).toEqual([{ path: expect.stringMatching(new RegExp(`^${path}`)) as unknown, message: expect.stringMatching(message) as unknown }]);
  });

  it('a well-formed approval still records (and its comment with a real surrogate pair is committed)', async () => {
    const { status } = await raw('POST', approvals, bob, `{"decision":"approve","planDigest":"${plan}","comment":"lgtm \\ud83d\\ude80"}`);
    expect(status).toBe(202);
    await h.viewHas(change, 3);
    // Only the one good approval reached the ledger: none of the refused bodies above did.
    expect(h.committedEvents('approval.granted', change).map((e) => e.reason ?? null)).toEqual(['lgtm 🚀']);
  });

  it('the gate and the policies API refuse them too; a syntax error is a 400', async () => {
    const gate = await raw('POST', '/v1/gate', pipeline, `{"changeId":"${change}","changeId":"\\udc00","environment":"prod","planDigest":"${plan}"}`);
    expect(gate).toMatchObject({ status: 422, body: { errors: [{ path: 'changeId', message: expect.stringMatching(/duplicate key/) as unknown }] } });
    const policy = await raw('PUT', '/v1/policies?dryRun=true', admin, JSON.stringify(E2E_POLICY).replace('"groups":', '"groups":[],"groups":'));
    expect(policy).toMatchObject({ status: 422, body: { errors: [{ path: 'groups', message: expect.stringMatching(/duplicate key/) as unknown }] } });
    expect((await raw('POST', '/v1/gate', pipeline, '{"changeId":')).status).toBe(400);
  });
});
