import { anAcceptedEvent, aTenant, aTokenWithTimes, expectEventually } from '@audit/testing';
import { verifyInclusion, verifyCheckpoint } from '@audit/ledger-core';
import { verifyTenantLedger } from '@audit/ledger-store';
import { mintDevToken } from '@audit/auth';
import { LedgerHarness } from './ledger-harness';

describe('ledger writer against real Kafka and Postgres', () => {
  const h = new LedgerHarness();

  beforeAll(async () => {
    await h.start();
    await h.watchCommitted();
  });
  afterAll(() => h.close());

  it('appends accepted events with gapless per-tenant seqs, announces them, signs a checkpoint, and verifies', async () => {
    const a = aTenant('a');
    const b = aTenant('b');
    const events = [...Array.from({ length: 30 }, () => anAcceptedEvent(a)), ...Array.from({ length: 12 }, () => anAcceptedEvent(b))];
    await h.send(events);

    await expectEventually(async () => {
      expect((await h.rows(a)).map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect((await h.rows(b)).map((r) => r.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    });
    expect((await h.rows(a)).map((r) => r.event_id)).toEqual(events.slice(0, 30).map((e) => e.id));

    await expectEventually(() => expect(h.committed.filter((c) => c.event.tenant === a).length).toBeGreaterThanOrEqual(30));
    const firstA = h.committed.find((c) => c.event.tenant === a && c.seq === 1);
    expect(firstA?.event).toEqual(events[0]);
    expect(firstA?.prevHash).toBe('0'.repeat(64));

    await expectEventually(async () => {
      const { rows } = await h.pool.query('SELECT size FROM ledger.checkpoints WHERE tenant = $1 ORDER BY id DESC LIMIT 1', [a]);
      expect(Number(rows[0]?.size)).toBe(30);
    });
    const result = await verifyTenantLedger(h.pool, a, h.trustedKeys, { origin: `audit-ledger.local/tenant/${a}` });
    expect(result).toMatchObject({ ok: true, rows: 30, problems: 0, checkpointedSize: 30 });
  });

  it('never records the same event twice, whether redelivered in one batch or later', async () => {
    const t = aTenant();
    const e1 = anAcceptedEvent(t);
    const e2 = anAcceptedEvent(t);
    await h.send([e1, e1, e2]);
    await expectEventually(async () => expect(await h.rows(t)).toHaveLength(2));
    await h.send([e2, e1]);
    const marker = anAcceptedEvent(t);
    await h.send([marker]);
    await expectEventually(async () => expect((await h.rows(t)).map((r) => r.event_id)).toEqual([e1.id, e2.id, marker.id]));
  });

  it('sends a poison message to the DLQ and keeps going', async () => {
    const t = aTenant();
    await h.sendRaw(t, '{"not":"an event"}');
    await h.sendRaw(t, 'not even json');
    const ok = anAcceptedEvent(t);
    await h.send([ok]);
    await expectEventually(async () => expect((await h.rows(t)).map((r) => r.event_id)).toEqual([ok.id]));
  });

  it('serves checkpoints, inclusion and consistency proofs that verify against the published key', async () => {
    const t = aTenant();
    await h.send(Array.from({ length: 9 }, () => anAcceptedEvent(t)));
    await expectEventually(async () => {
      const { rows } = await h.pool.query('SELECT max(size) AS s FROM ledger.checkpoints WHERE tenant = $1', [t]);
      expect(Number(rows[0]?.s)).toBe(9);
    });
    const app = h.app!;
    const token = await mintDevToken(
      { sub: 'auditor-1', tenant: t, roles: ['auditor'], groups: [] },
      { issuer: 'audit-ledger-dev', audience: 'audit-ledger', hmacSecret: 'local-development-secret-change-me-0123456789' },
    );
    const auth = { authorization: `Bearer ${token}` };

    const keys = (await app.inject({ method: 'GET', url: '/v1/keys' })).json();
    expect(keys.keys[0].keyId).toBe(h.key.verifierKey.keyId.toString('hex'));

    const cp = await app.inject({ method: 'GET', url: '/v1/checkpoints', headers: auth });
    expect(cp.statusCode).toBe(200);
    const verified = verifyCheckpoint(cp.json().note, h.trustedKeys);
    expect(verified.size).toBe(9);

    const inc = await app.inject({ method: 'GET', url: '/v1/proofs/inclusion?seq=4', headers: auth });
    expect(inc.statusCode).toBe(200);
    const p = inc.json();
    expect(() =>
      verifyInclusion(p.leafIndex, p.treeSize, Buffer.from(p.leafHash, 'base64'), p.proof.map((x: string) => Buffer.from(x, 'base64')), verified.rootHash),
    ).not.toThrow();

    expect((await app.inject({ method: 'GET', url: '/v1/proofs/inclusion?seq=4' })).statusCode).toBe(401);
    // Issue 17: a token without exp (iat 10 years ago) and a token with no read role get nothing.
    const dev = { issuer: 'audit-ledger-dev', audience: 'audit-ledger', hmacSecret: 'local-development-secret-change-me-0123456789' };
    const ancient = await aTokenWithTimes({ sub: 'mallory', tenant: t, roles: ['auditor'] }, { iat: Math.floor(Date.now() / 1000) - 10 * 365 * 86_400 }, dev);
    const roleless = await mintDevToken({ sub: 'svc', tenant: t, roles: [], groups: [] }, dev);
    for (const url of ['/v1/checkpoints', '/v1/proofs/inclusion?seq=4', '/v1/proofs/consistency?from=2&to=9']) {
      expect([url, (await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ancient}` } })).statusCode]).toEqual([url, 401]);
      expect([url, (await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${roleless}` } })).statusCode]).toEqual([url, 403]);
    }
    // The two answered reads are recorded and committed as audit.read; the refused ones (400/401/403/404) are not.
    await expectEventually(async () => {
      const { rows: reads } = await h.pool.query<{ canonical: string }>("SELECT canonical FROM ledger.records WHERE tenant = $1 AND type = 'audit.read' ORDER BY seq", [t]);
      expect(reads.map((r) => JSON.parse(r.canonical) as { actor: { id: string }; details: unknown })).toEqual([
        expect.objectContaining({ actor: expect.objectContaining({ id: 'auditor-1' }), details: { endpoint: '/v1/checkpoints', query: {}, resultCount: 1 } }),
        expect.objectContaining({ actor: expect.objectContaining({ id: 'auditor-1' }), details: { endpoint: '/v1/proofs/inclusion', query: { seq: 4 }, resultCount: 1 } }),
      ]);
    });
    expect((await app.inject({ method: 'GET', url: '/v1/proofs/inclusion?seq=abc', headers: auth })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/v1/proofs/inclusion?seq=999', headers: auth })).statusCode).toBe(404);
  });
});
