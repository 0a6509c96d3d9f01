import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import type { AcceptedEvent, CommittedRecord } from '@audit/contracts';
import { applyRetention, redactedSeqs, retentionPolicies, setRetentionPolicy } from '@audit/ledger-store';
import { createLogger } from '@audit/observability';
import { aDigest, anAcceptedEvent, aTenant } from '@audit/testing';
import { LedgerWriter } from '../../ledger/src/append/ledger-writer';
import { LifecycleProjector } from '../src/projections/postgres/lifecycle.projector';

/**
 * The Postgres lifecycle views follow a retention run, on the real tables: records written by the real
 * ledger writer, redacted by the real retention procedure, projected from the committed records the
 * ledger would announce (the run's own retention.applied record included).
 */
describe('the lifecycle projection forgets what retention redacted', () => {
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
  const namespace = `lr${randomBytes(4).toString('hex')}`;
  const writer = new LedgerWriter(pool, namespace);
  const projector = new LifecycleProjector(pool, createLogger('test', 'silent'), (t, from, to) => redactedSeqs(pool, t, from, to));
  let offset = 0;
  afterAll(() => pool.end());

  async function commit(events: AcceptedEvent[]): Promise<CommittedRecord[]> {
    await writer.append({ events: events.map((event) => ({ event, offset: String(offset++) })), position: { groupId: namespace, topic: `${namespace}.ingested`, partition: 0, nextOffset: String(offset) } });
    const { rows } = await pool.query<{ canonical: string; leaf_hash: Buffer; hash: Buffer; prev_hash: Buffer }>(
      'SELECT canonical, leaf_hash, hash, prev_hash FROM ledger.records WHERE tenant = $1 AND event_id = ANY($2::uuid[]) ORDER BY seq',
      [events[0]!.tenant, events.map((e) => e.id)],
    );
    // As the ledger's outbox announces them.
    return rows.map((r) => {
      const { seq, recordedAt, ...event } = JSON.parse(r.canonical) as Record<string, unknown>;
      return { event: event as AcceptedEvent, seq: Number(seq), recordedAt: String(recordedAt), leafHash: r.leaf_hash.toString('hex'), hash: r.hash.toString('hex'), prevHash: r.prev_hash.toString('hex') };
    });
  }

  it('keeps the redacted rows with their hash, drops the event and the rows derived from it, and recomputes the change', async () => {
    const tenant = aTenant('lr');
    const changeId = `CHG-${tenant}`;
    const artifact = { digest: aDigest(), kind: 'container-image' };
    const records = await commit([
      anAcceptedEvent(tenant, { type: 'change.requested', changeId }),
      anAcceptedEvent(tenant, { type: 'deployment.started', changeId, artifact, reason: 'secret-1' }),
      anAcceptedEvent(tenant, { type: 'deployment.failed', changeId, outcome: 'failed', reason: 'secret-2' }),
    ]);
    await projector.apply(records);
    const runsOf = async () => (await pool.query('SELECT seq FROM query.runs WHERE tenant = $1 ORDER BY seq', [tenant])).rows.map((r: { seq: string }) => Number(r.seq));
    expect(await runsOf()).toEqual([2, 3]);
    expect((await pool.query('SELECT status FROM query.changes WHERE tenant = $1', [tenant])).rows[0]).toEqual({ status: 'failed' });

    for (const type of ['deployment.started', 'deployment.failed']) await setRetentionPolicy(pool, tenant, type, 30);
    const now = new Date(Date.now() + 31 * 86_400_000);
    const run = await applyRetention(pool, tenant, now, 'ops@example.com');
    expect(run).toMatchObject({ redacted: 2, firstSeq: 2, lastSeq: 3 });
    const applied = anAcceptedEvent(tenant, {
      type: 'retention.applied',
      occurredAt: now.toISOString(),
      resource: { kind: 'audit-ledger', id: `retention/${tenant}`, environment: 'audit' },
      details: { redacted: 2, firstRedactedSeq: 2, lastRedactedSeq: 3, policies: await retentionPolicies(pool, tenant) },
    });
    delete (applied as { changeId?: string }).changeId;
    await projector.apply(await commit([applied]));

    const { rows } = await pool.query<{ seq: string; event: unknown; redacted_at: Date | null; hash: string; type: string }>(
      'SELECT seq, event, redacted_at, hash, type FROM query.change_events WHERE tenant = $1 ORDER BY seq',
      [tenant],
    );
    expect(rows.map((r) => [Number(r.seq), r.type, r.event === null, r.redacted_at?.toISOString() ?? null])).toEqual([
      [1, 'change.requested', false, null],
      [2, 'deployment.started', true, now.toISOString()],
      [3, 'deployment.failed', true, now.toISOString()],
    ]);
    expect(rows.map((r) => r.hash)).toEqual(records.map((r) => r.hash));
    expect(JSON.stringify(rows)).not.toContain('secret-');
    expect(await runsOf()).toEqual([]);
    // The change is summarized from what is left: the request.
    expect((await pool.query('SELECT status, last_seq FROM query.changes WHERE tenant = $1', [tenant])).rows[0]).toEqual({ status: 'requested', last_seq: '1' });
  });

  it('deletes the change row when every one of its records was redacted', async () => {
    const tenant = aTenant('lr');
    const changeId = `CHG-${tenant}`;
    await projector.apply(await commit([anAcceptedEvent(tenant, { changeId })]));
    await setRetentionPolicy(pool, tenant, '*', 30);
    const now = new Date(Date.now() + 31 * 86_400_000);
    await applyRetention(pool, tenant, now, 'ops@example.com');
    const applied = anAcceptedEvent(tenant, { type: 'retention.applied', occurredAt: now.toISOString(), details: { firstRedactedSeq: 1, lastRedactedSeq: 1 } });
    delete (applied as { changeId?: string }).changeId;
    await projector.apply(await commit([applied]));
    expect((await pool.query('SELECT count(*)::int AS n FROM query.changes WHERE tenant = $1', [tenant])).rows[0]).toEqual({ n: 0 });
    expect((await pool.query('SELECT count(*)::int AS n FROM query.change_events WHERE tenant = $1 AND event IS NULL', [tenant])).rows[0]).toEqual({ n: 1 });
  });
});
