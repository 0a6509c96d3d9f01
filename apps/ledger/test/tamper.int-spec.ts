import { formatVerifierKey, generateSigningKey, signCheckpoint, parseCheckpoint } from '@audit/ledger-core';
import { anAcceptedEvent, aTenant, expectEventually } from '@audit/testing';
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { addLegalHold } from '@audit/ledger-store';
import { runCli } from '../../cli/src/main';
import { LedgerHarness } from './ledger-harness';

/**
 * Someone with full database access edits the stored ledger behind the service's back (triggers bypassed
 * with session_replication_role = replica, as only a superuser can). `audit-ledger verify` must notice
 * every kind of edit and name the first bad seq.
 */
describe('tampering is detected by audit-ledger verify', () => {
  const h = new LedgerHarness();
  const tenants: string[] = [];

  beforeAll(async () => {
    await h.start();
    for (let i = 0; i < 9; i++) tenants.push(aTenant('tamper'));
    await h.send(tenants.flatMap((t) => Array.from({ length: 10 }, () => anAcceptedEvent(t))));
    await expectEventually(async () => {
      const { rows } = await h.pool.query('SELECT count(DISTINCT tenant) AS n FROM ledger.checkpoints WHERE tenant = ANY($1) AND size = 10', [tenants]);
      expect(Number(rows[0]?.n)).toBe(tenants.length);
    });
    await h.stopApp();
  });
  afterAll(() => h.close());

  async function verify(tenant: string): Promise<{ code: number; out: string }> {
    let out = '';
    const code = await runCli(['verify', '--tenant', tenant, '--vkey', formatVerifierKey(h.key.verifierKey)], {
      stdout: (t) => (out += t),
      stderr: (t) => (out += t),
      env: { DATABASE_URL: process.env.DATABASE_URL },
    });
    return { code, out };
  }

  async function asSuperuserBypassingTriggers(sql: (c: PoolClient) => Promise<unknown>): Promise<void> {
    const c = await h.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('SET LOCAL session_replication_role = replica');
      await sql(c);
      await c.query('COMMIT');
    } finally {
      c.release();
    }
  }

  it('passes an untouched ledger', async () => {
    const r = await verify(tenants[0]!);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^OK .* 10 records/);
  });

  it('detects an edited payload', async () => {
    const t = tenants[1]!;
    await asSuperuserBypassingTriggers((c) =>
      c.query(`UPDATE ledger.records SET canonical = replace(canonical, 'alice@example.com', 'mallory@example.com') WHERE tenant = $1 AND seq = 4`, [t]),
    );
    const r = await verify(t);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/first bad seq 4: leaf-hash-mismatch/);
  });

  it('detects a deleted row', async () => {
    const t = tenants[2]!;
    await asSuperuserBypassingTriggers((c) => c.query('DELETE FROM ledger.records WHERE tenant = $1 AND seq = 5', [t]));
    const r = await verify(t);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/first bad seq 5: gap/);
  });

  it('detects an inserted row', async () => {
    const t = tenants[3]!;
    await asSuperuserBypassingTriggers(async (c) => {
      // Make room at seq 6 and copy row 5 into it: a plausible-looking forged record.
      await c.query('UPDATE ledger.records SET seq = seq + 100 WHERE tenant = $1 AND seq >= 6', [t]);
      await c.query('UPDATE ledger.records SET seq = seq - 99 WHERE tenant = $1 AND seq >= 106', [t]);
      await c.query(
        `INSERT INTO ledger.records (tenant, seq, event_id, type, change_id, canonical, leaf_hash, hash, prev_hash, recorded_at)
         SELECT tenant, 6, gen_random_uuid(), type, change_id, canonical, leaf_hash, hash, prev_hash, recorded_at FROM ledger.records WHERE tenant = $1 AND seq = 5`,
        [t],
      );
    });
    const r = await verify(t);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/first bad seq 6: /);
  });

  it('detects swapped rows', async () => {
    const t = tenants[4]!;
    await asSuperuserBypassingTriggers(async (c) => {
      await c.query('UPDATE ledger.records SET seq = 1000 WHERE tenant = $1 AND seq = 3', [t]);
      await c.query('UPDATE ledger.records SET seq = 3 WHERE tenant = $1 AND seq = 4', [t]);
      await c.query('UPDATE ledger.records SET seq = 4 WHERE tenant = $1 AND seq = 1000', [t]);
    });
    const r = await verify(t);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/first bad seq 3: /);
  });

  it('detects a truncated tail', async () => {
    const t = tenants[5]!;
    await asSuperuserBypassingTriggers((c) => c.query('DELETE FROM ledger.records WHERE tenant = $1 AND seq >= 8', [t]));
    const r = await verify(t);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/first bad seq 8: truncated/);
  });

  it('detects a replaced checkpoint (signed by a key the verifier does not trust)', async () => {
    const t = tenants[6]!;
    const { rows } = await h.pool.query<{ id: string; note: string }>('SELECT id, note FROM ledger.checkpoints WHERE tenant = $1 AND size = 10 ORDER BY id LIMIT 1', [t]);
    const parsed = parseCheckpoint(rows[0]!.note);
    const forger = generateSigningKey('test-ledger-key');
    const forged = signCheckpoint({ ...parsed.body }, forger.signer);
    await asSuperuserBypassingTriggers((c) => c.query('UPDATE ledger.checkpoints SET note = $2 WHERE id = $1', [rows[0]!.id, forged]));
    const r = await verify(t);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/first bad seq 10: checkpoint-signature/);
  });

  it('refuses UPDATE, DELETE and TRUNCATE: the writer role by privilege, even the owner by trigger', async () => {
    const t = tenants[7]!;
    const c = await h.pool.connect();
    try {
      const attempt = async (setup: string, sql: string) => {
        await c.query('BEGIN');
        try {
          if (setup) await c.query(setup);
          await c.query(sql, sql.includes('$1') ? [t] : []);
          return 'allowed';
        } catch (error) {
          return (error as Error).message;
        } finally {
          await c.query('ROLLBACK');
        }
      };
      const asWriter = 'SET LOCAL ROLE audit_ledger_writer';
      expect(await attempt(asWriter, "UPDATE ledger.records SET type = 'x' WHERE tenant = $1")).toMatch(/permission denied/);
      expect(await attempt(asWriter, 'DELETE FROM ledger.records WHERE tenant = $1')).toMatch(/permission denied/);
      expect(await attempt(asWriter, 'TRUNCATE ledger.records')).toMatch(/permission denied/);
      expect(await attempt('', "UPDATE ledger.records SET type = 'x' WHERE tenant = $1")).toMatch(/append-only: UPDATE refused/);
      expect(await attempt('', 'DELETE FROM ledger.records WHERE tenant = $1')).toMatch(/append-only: DELETE refused/);
      expect(await attempt('', 'TRUNCATE ledger.records')).toMatch(/append-only: TRUNCATE refused/);
      expect(await attempt('', 'DELETE FROM ledger.checkpoints WHERE tenant = $1')).toMatch(/append-only: DELETE refused/);
    } finally {
      c.release();
    }
    expect((await verify(t)).code).toBe(0);
  });

  it('detects a payload redacted by hand with the escape hatch, under a legal hold and with no retention run', async () => {
    const t = tenants[8]!;
    await addLegalHold(h.pool, { id: randomUUID(), tenant: t, changeId: null, actorId: null, from: null, to: null, reason: 'litigation', createdBy: 'counsel@example.com', createdAt: new Date(Date.now() - 60_000) });
    const c = await h.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query("SET LOCAL ledger.retention = 'on'");
      await c.query('UPDATE ledger.records SET canonical = NULL, redacted_at = now() WHERE tenant = $1 AND seq = 6', [t]);
      await c.query('COMMIT');
    } finally {
      c.release();
    }
    const r = await verify(t);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/first bad seq 6: redaction-under-hold/);
  });
});
