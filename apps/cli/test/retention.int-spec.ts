import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { formatVerifierKey } from '@audit/ledger-core';
import { anAcceptedEvent, aTenant, expectEventually } from '@audit/testing';
import { LedgerHarness } from '../../ledger/test/ledger-harness';
import { runCli } from '../src/main';

/**
 * Retention against the real ledger: payloads gone, hashes kept, verify and a pre-retention export still
 * pass, held records untouched, runs and holds recorded as events; old OpenSearch months dropped.
 */
describe('audit-ledger retention / hold', () => {
  const h = new LedgerHarness();
  const dir = mkdtempSync(join(tmpdir(), 'retention-int-'));
  const pem = join(dir, 'ledger-key.pem');
  const tenant = aTenant('ret');
  const held = `CHG-held-${tenant}`;
  const prefix = `ret-${randomBytes(3).toString('hex')}`;
  const os = process.env.OPENSEARCH_URL as string;
  let env: NodeJS.ProcessEnv;

  async function cli(argv: string[], extra: NodeJS.ProcessEnv = env, clock?: () => Date) {
    let out = '';
    let err = '';
    const code = await runCli(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env: extra, ...(clock ? { clock } : {}) });
    return { code, out, err };
  }
  const rows = async (t: string) =>
    (await h.pool.query<{ seq: string; type: string; canonical: string | null; leaf_hash: Buffer; hash: Buffer; change_id: string | null }>(
      'SELECT seq, type, canonical, leaf_hash, hash, change_id FROM ledger.records WHERE tenant = $1 ORDER BY seq', [t])).rows;
  const checkpointSize = async (t: string) => Number((await h.pool.query('SELECT max(size) AS s FROM ledger.checkpoints WHERE tenant = $1', [t])).rows[0]?.s ?? 0);

  beforeAll(async () => {
    writeFileSync(pem, h.key.publicKeyPem);
    env = { DATABASE_URL: process.env.DATABASE_URL, KAFKA_BROKERS: process.env.KAFKA_BROKERS, KAFKA_TOPIC_NAMESPACE: h.namespace, OPENSEARCH_URL: os, SERVICE_CREDENTIAL_SECRET: process.env.SERVICE_CREDENTIAL_SECRET };
    await h.start();
    await h.send(Array.from({ length: 20 }, (_, i) => anAcceptedEvent(tenant, i % 4 === 0 ? { changeId: held } : {})));
    await expectEventually(async () => expect(await checkpointSize(tenant)).toBe(20));
  });
  afterAll(async () => {
    await fetch(`${os}/${prefix}-*`, { method: 'DELETE' });
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('redacts expired payloads but keeps the hashes; verify, old and new exports pass; held records are untouched', async () => {
    const before = await rows(tenant);
    const preExport = join(dir, 'pre.tar.gz');
    expect((await cli(['export', '--tenant', tenant, '--public-key', pem, '--out', preExport])).code).toBe(0);

    expect((await cli(['retention', 'set', '--tenant', tenant, '--type', '*', '--days', '30'])).code).toBe(0);
    const added = await cli(['hold', 'add', '--tenant', tenant, '--change', held, '--reason', 'litigation 2026-17']);
    expect(added).toMatchObject({ code: 0 });
    await expectEventually(async () => expect((await rows(tenant)).some((r) => r.type === 'legal_hold.changed')).toBe(true));

    // 31 days pass: the CLI's clock (no flag moves it), not a --now ahead of it.
    const later = new Date(Date.now() + 31 * 86_400_000);
    const run = await cli(['retention', 'run', '--tenant', tenant], env, () => later);
    expect(run.err).toBe('');
    // 20 events (the hold's own event is never redacted: it is the record retention is checked against); the 5 of the held change stay.
    expect(run.out).toMatch(new RegExp(`${tenant}: redacted 15 payloads .*, 5 kept under legal hold`));

    const after = await rows(tenant);
    for (const [i, r] of before.entries()) {
      expect(after[i]!.leaf_hash).toEqual(r.leaf_hash);
      expect(after[i]!.hash).toEqual(r.hash);
      expect(after[i]!.canonical).toBe(r.change_id === held ? r.canonical : null);
    }
    await expectEventually(async () => expect((await rows(tenant)).some((r) => r.type === 'retention.applied')).toBe(true));
    const total = (await rows(tenant)).length;
    await expectEventually(async () => expect(await checkpointSize(tenant)).toBe(total));

    const verified = await cli(['verify', '--tenant', tenant, '--vkey', formatVerifierKey(h.key.verifierKey), '--json']);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.out)).toMatchObject({ ok: true, rows: total, redactedRows: 15 });
    expect((await cli(['verify-export', preExport, '--public-key', pem], {})).code).toBe(0);

    const postExport = join(dir, 'post.tar.gz');
    expect((await cli(['export', '--tenant', tenant, '--public-key', pem, '--out', postExport])).out).toMatch(/15 redacted/);
    const post = await cli(['verify-export', postExport, '--public-key', pem], {});
    expect(post.out).toMatch(/^VERIFIED .*\(15 redacted\)/);
  });

  it('records the operator from the credentials, refuses --by, and refuses a --now ahead of the clock (issue 17)', async () => {
    const t = aTenant('ret');
    await h.send(Array.from({ length: 3 }, () => anAcceptedEvent(t)));
    await expectEventually(async () => expect(await checkpointSize(t)).toBe(3));
    expect((await cli(['retention', 'set', '--tenant', t, '--type', '*', '--days', '1'])).code).toBe(0);

    const forged = await cli(['retention', 'run', '--tenant', t, '--by', 'someone-else@example.com']);
    expect(forged.code).toBe(2);
    expect(forged.err).toMatch(/--by is not accepted: the operator is taken from your credentials/);
    expect((await cli(['hold', 'add', '--tenant', t, '--reason', 'x', '--by', 'counsel@example.com'])).code).toBe(2);

    const ahead = await cli(['retention', 'run', '--tenant', t, '--now', new Date(Date.now() + 2 * 86_400_000).toISOString()]);
    expect(ahead.code).toBe(2);
    expect(ahead.err).toMatch(/--now .* is ahead of the clock/);
    expect((await rows(t)).every((r) => r.canonical !== null)).toBe(true);
    const { rows: runs } = await h.pool.query('SELECT run_by FROM ledger.retention_runs WHERE tenant = $1', [t]);
    expect(runs).toEqual([]);

    const past = await cli(['retention', 'run', '--tenant', t, '--now', new Date(Date.now() - 60_000).toISOString()]);
    expect(past).toMatchObject({ code: 0, err: '' });
    const operator = expect.stringMatching(/^db:postgres,os:[^@]+@.+$/);
    const { rows: after } = await h.pool.query<{ run_by: string }>('SELECT run_by FROM ledger.retention_runs WHERE tenant = $1', [t]);
    expect(after).toEqual([{ run_by: operator }]);
    await expectEventually(async () => {
      const applied = (await rows(t)).find((r) => r.type === 'retention.applied');
      expect(JSON.parse(applied!.canonical!)).toMatchObject({ actor: { id: operator } });
    });
  });

  it('lets retention only redact: no other edit, and no delete, even with the escape hatch on', async () => {
    const c = await h.pool.connect();
    const attempt = async (sql: string) => {
      await c.query('BEGIN');
      try {
        await c.query("SET LOCAL ledger.retention = 'on'");
        await c.query(sql, [tenant]);
        return 'allowed';
      } catch (error) {
        return (error as Error).message;
      } finally {
        await c.query('ROLLBACK');
      }
    };
    try {
      expect(await attempt("UPDATE ledger.records SET type = 'x' WHERE tenant = $1 AND seq = 1")).toMatch(/may only redact/);
      expect(await attempt(`UPDATE ledger.records SET canonical = '{}' WHERE tenant = $1 AND seq = 1`)).toMatch(/may only redact|redaction_consistent/);
      expect(await attempt('DELETE FROM ledger.records WHERE tenant = $1 AND seq = 2')).toMatch(/DELETE refused/);
    } finally {
      c.release();
    }
  });

  it('releases holds (recorded), and drops only OpenSearch months past retention that no hold reaches', async () => {
    const other = aTenant('ret');
    const month = new Date().toISOString().slice(0, 7).replace('-', '.');
    for (const index of [`${prefix}-${other}_2020.01`, `${prefix}-${other}_${month}`]) {
      expect((await fetch(`${os}/${index}`, { method: 'PUT' })).ok).toBe(true);
    }
    expect((await cli(['retention', 'set', '--tenant', other, '--type', '*', '--days', '30'])).code).toBe(0);
    const hold = await cli(['hold', 'add', '--tenant', other, '--from', '2020-01-10T00:00:00Z', '--to', '2020-01-11T00:00:00Z', '--reason', 'regulator request']);
    const holdId = /hold (\S+) placed/.exec(hold.out)?.[1] as string;
    expect((await cli(['retention', 'run', '--tenant', other, '--index-prefix', prefix])).out).toMatch(/0 indices deleted/);

    expect((await cli(['hold', 'release', '--tenant', other, '--id', holdId])).code).toBe(0);
    expect((await cli(['retention', 'run', '--tenant', other, '--index-prefix', prefix])).out).toMatch(new RegExp(`1 indices deleted: ${prefix}-${other}_2020.01`));
    const left = (await (await fetch(`${os}/_cat/indices/${prefix}-${other}_*?format=json&h=index`)).json()) as { index: string }[];
    expect(left.map((i) => i.index)).toEqual([`${prefix}-${other}_${month}`]);
    await expectEventually(async () => expect((await rows(other)).filter((r) => r.type === 'legal_hold.changed')).toHaveLength(2));
  });
});
