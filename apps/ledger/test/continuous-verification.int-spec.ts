import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { addLegalHold } from '@audit/ledger-store';
import { aTenant, expectEventually } from '@audit/testing';
import { createApiKey } from '../../cli/src/admin/api-keys.store';
import { runCli } from '../../cli/src/main';
import { Pipeline } from '../../query/test/support/pipeline';

/**
 * The ledger watches itself, on the real stack: events in through ingest, committed by the real ledger,
 * whose running verifier (short intervals here) records `ledger.verified` events that the query
 * service's built-in alert fires on. Then someone with database superuser rights edits and redacts rows
 * behind the service's back.
 */
describe('continuous verification: the ledger records its own verification and alerts on tampering', () => {
  const tenants = { clean: aTenant('ver'), tamper: aTenant('ver'), held: aTenant('ver'), unrecorded: aTenant('ver'), retained: aTenant('ver') };
  const p = new Pipeline(tenants.clean);
  const keys = new Map<string, string>();

  const deploys = (n: number, run: string) =>
    Array.from({ length: n }, (_, i) => ({
      type: 'deployment.failed',
      occurredAt: new Date().toISOString(),
      actor: { id: 'alice@example.com', type: 'user' },
      resource: { kind: 'k8s.deployment', id: 'payments-api', environment: 'prod' },
      changeId: `CHG-${run}-${i}`,
      outcome: 'failed',
    }));

  async function emit(tenant: string, events: Record<string, unknown>[]): Promise<void> {
    const res = await p.ingest.inject({
      method: 'POST',
      url: '/v1/events:batch',
      payload: JSON.stringify({ events }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.get(tenant)}` },
    });
    expect(res.statusCode).toBe(202);
  }

  /** `ledger.verified` records in the tenant's own log, as committed. */
  async function verifications(tenant: string): Promise<{ seq: number; outcome: string; reason?: string; provenance?: Record<string, unknown>; details: Record<string, unknown> }[]> {
    const { rows } = await p.pool.query<{ seq: string; canonical: string }>(
      `SELECT seq, canonical FROM ledger.records WHERE tenant = $1 AND type = 'ledger.verified' AND canonical IS NOT NULL ORDER BY seq`,
      [tenant],
    );
    return rows.map((r) => ({ seq: Number(r.seq), ...(JSON.parse(r.canonical) as { outcome: string; details: Record<string, unknown> }) }));
  }

  async function status(tenant: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const token = await p.query.token(tenant, ['auditor']);
    const res = await p.ledger.inject({ method: 'GET', url: '/v1/verification', headers: { authorization: `Bearer ${token}` } });
    return { status: res.statusCode, body: JSON.parse(res.body) as Record<string, unknown> };
  }

  async function asSuperuser(sql: (c: PoolClient) => Promise<unknown>): Promise<void> {
    const c = await p.pool.connect();
    try {
      await c.query('BEGIN');
      await sql(c);
      await c.query('COMMIT');
    } finally {
      c.release();
    }
  }

  const alertsOf = async (tenant: string) => (await p.query.alerts(tenant, 'builtin.ledger-verification-failed')) as unknown as { state: string; summary: string; matched_seqs: string[] }[];

  beforeAll(async () => {
    await p.start({}, { LEDGER_VERIFY_ENABLED: 'true', LEDGER_VERIFY_INTERVAL_MS: '300', LEDGER_VERIFY_FULL_INTERVAL_MS: '1500', LEDGER_VERIFY_SUCCESS_EVERY_MS: '0', LEDGER_VERIFY_REDACTION_GRACE_MS: '2000', CHECKPOINT_INTERVAL_MS: '200' });
    keys.set(tenants.clean, p.apiKey);
    for (const t of Object.values(tenants)) if (!keys.has(t)) keys.set(t, (await createApiKey(p.pool, { tenant: t, sources: [], types: [] })).token);
    for (const t of Object.values(tenants)) await emit(t, deploys(8, t));
    for (const t of Object.values(tenants)) {
      await expectEventually(async () => expect((await verifications(t)).filter((v) => v.outcome === 'succeeded').length).toBeGreaterThanOrEqual(1), { timeoutMs: 60_000 });
    }
  }, 120_000);
  afterAll(() => p.stop());

  it('records a trusted success once the log is verified, serves it on GET /v1/verification, and does not flood the log', async () => {
    const t = tenants.clean;
    const successes = (await verifications(t)).filter((v) => v.outcome === 'succeeded');
    expect(successes[0]).toMatchObject({ provenance: { kind: 'service', id: 'ledger', auth: 'service-credential', via: 'ledger-verifier' }, details: { rootHash: expect.any(String) } });
    expect(successes[successes.length - 1]!.details['treeSize']).toBeGreaterThanOrEqual(8);
    const before = await status(t);
    expect(before).toMatchObject({ status: 200, body: { tenant: t, status: 'ok', failure: null, verifiedSize: expect.any(Number) } });
    // Two more full passes over a log that only grew by the verifier's own events: nothing more is recorded.
    const count = (await verifications(t)).length;
    await expectEventually(async () => expect(Date.parse(String((await status(t)).body['lastFullAt']))).toBeGreaterThan(Date.parse(String(before.body['lastFullAt'])) + 1500), { timeoutMs: 20_000 });
    expect(await verifications(t)).toHaveLength(count);
    expect(await alertsOf(t)).toEqual([]);
  });

  it('tamper drill: a payload edited as superuser is recorded as a failure naming seq 4, once, and the built-in alert fires within 60 s', async () => {
    const t = tenants.tamper;
    const editedAt = Date.now();
    await asSuperuser(async (c) => {
      await c.query('SET LOCAL session_replication_role = replica');
      await c.query(`UPDATE ledger.records SET canonical = replace(canonical, 'alice@example.com', 'mallory@example.com') WHERE tenant = $1 AND seq = 4`, [t]);
    });
    await expectEventually(async () => {
      const alerts = await alertsOf(t);
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ state: 'firing', summary: expect.stringContaining('first bad seq 4: leaf-hash-mismatch') });
    }, { timeoutMs: 60_000, intervalMs: 250 });
    expect(Date.now() - editedAt).toBeLessThan(60_000);
    const failed = (await verifications(t)).filter((v) => v.outcome === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ reason: expect.stringMatching(/^first bad seq 4: leaf-hash-mismatch/), details: { firstBadSeq: 4, problem: 'leaf-hash-mismatch', mode: 'full' }, provenance: { kind: 'service', via: 'ledger-verifier' } });
    expect((await status(t)).body).toMatchObject({ status: 'failed', failure: { seq: 4, problem: 'leaf-hash-mismatch' } });
    // Further passes (incremental ones see only the new rows) keep the failure standing and do not repeat it.
    const { lastFullAt } = (await status(t)).body;
    await expectEventually(async () => expect(Date.parse(String((await status(t)).body['lastFullAt']))).toBeGreaterThan(Date.parse(String(lastFullAt))), { timeoutMs: 20_000 });
    expect((await verifications(t)).filter((v) => v.outcome === 'failed')).toHaveLength(1);
    expect((await status(t)).body).toMatchObject({ status: 'failed', failure: { seq: 4 } });
  }, 90_000);

  it('a redaction made with the escape hatch under an active legal hold fails verification at once and is alerted', async () => {
    const t = tenants.held;
    await addLegalHold(p.pool, { id: randomUUID(), tenant: t, changeId: null, actorId: null, from: null, to: null, reason: 'litigation 2026-17', createdBy: 'counsel@example.com', createdAt: new Date(Date.now() - 60_000) });
    await asSuperuser(async (c) => {
      await c.query("SET LOCAL ledger.retention = 'on'");
      await c.query('UPDATE ledger.records SET canonical = NULL, redacted_at = now() WHERE tenant = $1 AND seq = 3', [t]);
    });
    await expectEventually(async () => expect((await alertsOf(t))[0]).toMatchObject({ state: 'firing', summary: expect.stringContaining('first bad seq 3: redaction-under-hold') }), { timeoutMs: 60_000, intervalMs: 250 });
    expect((await status(t)).body).toMatchObject({ status: 'failed', failure: { seq: 3, problem: 'redaction-under-hold' } });
  }, 90_000);

  it('a redaction that no recorded retention run covers fails once its grace is over', async () => {
    const t = tenants.unrecorded;
    await asSuperuser(async (c) => {
      await c.query("SET LOCAL ledger.retention = 'on'");
      await c.query('UPDATE ledger.records SET canonical = NULL, redacted_at = now() WHERE tenant = $1 AND seq = 5', [t]);
    });
    await expectEventually(async () => expect((await status(t)).body).toMatchObject({ status: 'failed', failure: { seq: 5, problem: 'redaction-unrecorded' } }), { timeoutMs: 60_000 });
    await expectEventually(async () => expect((await alertsOf(t))[0]).toMatchObject({ summary: expect.stringContaining('first bad seq 5: redaction-unrecorded') }), { timeoutMs: 60_000 });
  }, 90_000);

  it('redactions by a recorded `retention run` verify clean', async () => {
    const t = tenants.retained;
    const env = { DATABASE_URL: process.env.DATABASE_URL, KAFKA_BROKERS: process.env.KAFKA_BROKERS, KAFKA_TOPIC_NAMESPACE: p.query.ns, SERVICE_CREDENTIAL_SECRET: process.env.SERVICE_CREDENTIAL_SECRET };
    // 31 days pass on the CLI's clock (issue 17: a --now ahead of the clock and --by are refused).
    const later = () => new Date(Date.now() + 31 * 86_400_000);
    const cli = (argv: string[], clock?: () => Date) => runCli(argv, { stdout: () => undefined, stderr: () => undefined, env, ...(clock ? { clock } : {}) });
    expect(await cli(['retention', 'set', '--tenant', t, '--type', '*', '--days', '30'])).toBe(0);
    expect(await cli(['retention', 'run', '--tenant', t], later)).toBe(0);
    await expectEventually(async () => {
      const r = await p.pool.query("SELECT 1 FROM ledger.records WHERE tenant = $1 AND type = 'retention.applied'", [t]);
      expect(r.rowCount).toBe(1);
    });
    const appended = Date.now();
    // A full pass after the run's event is in the log, past the grace: still ok, with the redactions counted.
    await expectEventually(async () => {
      const s = (await status(t)).body;
      expect(Date.parse(String(s['lastFullAt']))).toBeGreaterThan(appended + 2_000);
      expect(s).toMatchObject({ status: 'ok', failure: null });
    }, { timeoutMs: 30_000 });
    expect((await p.pool.query('SELECT count(*)::int AS n FROM ledger.records WHERE tenant = $1 AND canonical IS NULL', [t])).rows[0]).toEqual({ n: 9 });
    expect((await verifications(t)).filter((v) => v.outcome === 'failed')).toEqual([]);
    expect(await alertsOf(t)).toEqual([]);
  }, 60_000);
});
