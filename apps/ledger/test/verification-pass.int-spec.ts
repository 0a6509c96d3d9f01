import { randomBytes, randomUUID } from 'node:crypto';
import { Pool, type PoolClient } from 'pg';
import { generateSigningKey } from '@audit/ledger-core';
import { addLegalHold, applyRetention, auditTenantRedactions, setRetentionPolicy } from '@audit/ledger-store';
import { createLogger } from '@audit/observability';
import { anAcceptedEvent, aTenant } from '@audit/testing';
import { LedgerWriter } from '../src/append/ledger-writer';
import { Checkpointer } from '../src/checkpoints/checkpointer';
import { verifyPass, type ResumePoint } from '../src/verification/verification.pass';

/**
 * The verifier's passes against the real Postgres tables, written by the real writer and checkpointer:
 * an incremental pass resumes where the last one stopped and agrees with a full pass; an edit after the
 * resume point is found by both, an edit before it only by a full pass; a hand-made redaction under a
 * hold fails the redaction audit.
 */
describe('verification passes over the stored ledger', () => {
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
  const key = generateSigningKey('verify-pass-test');
  const namespace = `vp${randomBytes(4).toString('hex')}`;
  const writer = new LedgerWriter(pool, namespace);
  const checkpointer = new Checkpointer(pool, key.signer, { origin: 'audit-ledger.test', heartbeatMs: 60_000, namespace }, undefined, createLogger('test', 'silent'));
  const topic = `${namespace}.ingested`;
  let offset = 0;

  async function append(tenant: string, n: number): Promise<void> {
    const events = Array.from({ length: n }, () => ({ event: anAcceptedEvent(tenant), offset: String(offset++) }));
    await writer.append({ events, position: { groupId: namespace, topic, partition: 0, nextOffset: String(offset) } });
    await checkpointer.checkpointTenant(tenant);
  }
  const pass = (tenant: string, from?: ResumePoint) => verifyPass(pool, tenant, [key.verifierKey], undefined, from);

  async function asSuperuser(sql: (c: PoolClient) => Promise<unknown>): Promise<void> {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await sql(c);
      await c.query('COMMIT');
    } finally {
      c.release();
    }
  }
  const editPayload = (tenant: string, seq: number) =>
    asSuperuser(async (c) => {
      await c.query('SET LOCAL session_replication_role = replica');
      await c.query(`UPDATE ledger.records SET canonical = replace(canonical, 'alice@example.com', 'mallory@example.com') WHERE tenant = $1 AND seq = $2`, [tenant, seq]);
    });

  afterAll(() => pool.end());

  it('resumes where the last clean pass stopped and agrees with a full pass', async () => {
    const t = aTenant('vp');
    await append(t, 10);
    const first = await pass(t);
    expect(first.result).toMatchObject({ ok: true, rows: 10, checkpointedSize: 10 });
    await append(t, 5);
    const incremental = await pass(t, first.next);
    const full = await pass(t);
    expect(incremental.result).toMatchObject({ ok: true, rows: 15, checkpointedSize: 15 });
    expect(incremental.result.rootHash).toEqual(full.result.rootHash);
    expect(incremental.next).toMatchObject({ size: 15 });
    // Nothing new: the pass reads no rows and stays where it was.
    const idle = await pass(t, incremental.next);
    expect(idle.result).toMatchObject({ ok: true, rows: 15 });
    expect(idle.next?.lastCheckpointId).toBe(incremental.next?.lastCheckpointId);
  });

  it('finds an edit after the resume point incrementally, and one before it only in a full pass', async () => {
    const t = aTenant('vp');
    await append(t, 10);
    const at10 = (await pass(t)).next;
    await append(t, 5);
    await editPayload(t, 12);
    expect((await pass(t, at10)).result.firstFailure).toMatchObject({ seq: 12, problem: 'leaf-hash-mismatch' });
    expect((await pass(t, at10)).next).toBeUndefined();

    const u = aTenant('vp');
    await append(u, 10);
    const clean = (await pass(u)).next;
    await editPayload(u, 3);
    expect((await pass(u, clean)).result.ok).toBe(true);
    expect((await pass(u)).result.firstFailure).toMatchObject({ seq: 3, problem: 'leaf-hash-mismatch' });
  });

  it('fails a payload redacted by hand under a legal hold, and one no recorded run covers', async () => {
    const t = aTenant('vp');
    await append(t, 6);
    await addLegalHold(pool, { id: randomUUID(), tenant: t, changeId: null, actorId: null, from: null, to: null, reason: 'litigation', createdBy: 'counsel@example.com', createdAt: new Date(Date.now() - 60_000) });
    await asSuperuser(async (c) => {
      await c.query("SET LOCAL ledger.retention = 'on'");
      await c.query('UPDATE ledger.records SET canonical = NULL, redacted_at = now() WHERE tenant = $1 AND seq = 2', [t]);
    });
    // The chain still verifies: a redacted row is checked through its stored leaf hash.
    expect((await pass(t)).result).toMatchObject({ ok: true, redactedRows: 1 });
    expect(await auditTenantRedactions(pool, t, { now: new Date(), graceMs: 120_000 })).toMatchObject({ redacted: 1, firstFailure: { seq: 2, problem: 'redaction-under-hold' } });

    const u = aTenant('vp');
    await append(u, 6);
    await asSuperuser(async (c) => {
      await c.query("SET LOCAL ledger.retention = 'on'");
      await c.query('UPDATE ledger.records SET canonical = NULL, redacted_at = now() WHERE tenant = $1 AND seq = 4', [u]);
    });
    expect(await auditTenantRedactions(pool, u, { now: new Date(), graceMs: 120_000 })).toEqual({ redacted: 1, pending: 1 });
    expect(await auditTenantRedactions(pool, u, { now: new Date(Date.now() + 121_000), graceMs: 120_000 })).toMatchObject({ firstFailure: { seq: 4, problem: 'redaction-unrecorded' } });
  });

  it('waits for the event of a run the procedure just logged, whatever time the run claims, then fails it while it stays unrecorded', async () => {
    const t = aTenant('vp');
    await append(t, 4);
    await setRetentionPolicy(pool, t, '*', 30);
    const run = await applyRetention(pool, t, new Date(Date.now() + 31 * 86_400_000), 'ops@example.com');
    expect(run).toMatchObject({ redacted: 4, firstSeq: 1, lastSeq: 4 });
    // The CLI records the run's retention.applied event right after; until it is in the ledger, the redactions wait.
    expect(await auditTenantRedactions(pool, t, { now: new Date(), graceMs: 60_000 })).toEqual({ redacted: 4, pending: 4 });
    expect(await auditTenantRedactions(pool, t, { now: new Date(), graceMs: 0 })).toMatchObject({ firstFailure: { seq: 1, problem: 'redaction-unrecorded' } });
  });
});
