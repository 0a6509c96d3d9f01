import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import type { AcceptedEvent } from '@audit/contracts';
import { anAcceptedEvent, aTenant } from '@audit/testing';
import { LedgerHoldError, PositionGapError } from '../src/append/append-errors';
import { appendFailedEvent } from '../src/append/append-failed.event';
import { LedgerWriter } from '../src/append/ledger-writer';
import { uuidv7 } from '@audit/contracts';

/**
 * A writer that lost its partition (paused, slow, cut off) must never commit after the new owner did:
 * the partition's position is stored and locked in the same transaction as the records, and nothing
 * below it is written again.
 */
describe('zombie writers are fenced by the stored partition position', () => {
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 6, options: '-c role=audit_ledger_writer' });
  afterAll(() => pool.end());

  const position = (topic: string, nextOffset: number) => ({ groupId: 'fencing-test', topic, partition: 0, nextOffset: String(nextOffset) });
  const at = (events: AcceptedEvent[], from: number) => events.map((event, i) => ({ event, offset: String(from + i) }));

  async function seqsAndIds(tenant: string): Promise<[number[], string[]]> {
    const { rows } = await pool.query<{ seq: string; event_id: string }>('SELECT seq, event_id FROM ledger.records WHERE tenant = $1 ORDER BY seq', [tenant]);
    return [rows.map((r) => Number(r.seq)), rows.map((r) => r.event_id)];
  }

  it('drops a paused writer’s stale batch after the new owner moved past it', async () => {
    const tenant = aTenant('fence');
    const topic = `fence-${randomBytes(4).toString('hex')}`;
    const events = Array.from({ length: 20 }, () => anAcceptedEvent(tenant));
    const zombie = new LedgerWriter(pool);
    const owner = new LedgerWriter(pool);

    // The new owner re-reads offsets 0..19 and commits them; the zombie then wakes up with 0..9 in hand.
    expect((await owner.append({ events: at(events, 0), position: position(topic, 20) })).appended).toBe(20);
    const late = await zombie.append({ events: at(events.slice(0, 10), 0), position: position(topic, 10) });
    expect(late).toMatchObject({ appended: 0, fenced: 10 });

    const [seqs, ids] = await seqsAndIds(tenant);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(ids).toEqual(events.map((e) => e.id));
    const { rows } = await pool.query('SELECT next_offset FROM ledger.consumer_offsets WHERE group_id = $1 AND topic = $2', ['fencing-test', topic]);
    expect(rows[0].next_offset).toBe('20');
  });

  it('lets exactly one of two writers racing on the same batch commit it', async () => {
    const tenant = aTenant('race');
    const topic = `race-${randomBytes(4).toString('hex')}`;
    const events = Array.from({ length: 50 }, () => anAcceptedEvent(tenant));
    const [a, b] = await Promise.all([
      new LedgerWriter(pool).append({ events: at(events, 0), position: position(topic, 50) }),
      new LedgerWriter(pool).append({ events: at(events, 0), position: position(topic, 50) }),
    ]);
    expect([a.appended, b.appended].sort()).toEqual([0, 50]);
    expect([a.fenced, b.fenced].sort()).toEqual([0, 50]);
    const [seqs] = await seqsAndIds(tenant);
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('still writes the part of a redelivered batch that lies beyond the stored position', async () => {
    const tenant = aTenant('redeliver');
    const topic = `redeliver-${randomBytes(4).toString('hex')}`;
    const events = Array.from({ length: 15 }, () => anAcceptedEvent(tenant));
    const w = new LedgerWriter(pool);
    await w.append({ events: at(events.slice(0, 10), 0), position: position(topic, 10) });
    const r = await w.append({ events: at(events.slice(5), 5), position: position(topic, 15) });
    expect(r).toMatchObject({ appended: 5, fenced: 5 });
    const [seqs, ids] = await seqsAndIds(tenant);
    expect(seqs).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(ids).toEqual(events.map((e) => e.id));
  });

  it('refuses to count an event below the position as written when the ledger never saw it (another topic incarnation)', async () => {
    const tenant = aTenant('incarnation');
    const topic = `incarnation-${randomBytes(4).toString('hex')}`;
    const old = Array.from({ length: 5 }, () => anAcceptedEvent(tenant));
    const w = new LedgerWriter(pool);
    await w.append({ events: at(old, 0), position: position(topic, 5) });

    // The topic was recreated: offsets start at 0 again, with events the ledger never wrote.
    const fresh = [anAcceptedEvent(tenant), anAcceptedEvent(tenant)];
    const refused = w.append({ events: at(fresh, 0), position: position(topic, 2) });
    await expect(refused).rejects.toBeInstanceOf(LedgerHoldError);
    await expect(refused).rejects.toThrow(/2 event\(s\) of .* partition 0 at offsets 0..1 lie below the stored position 5 .*never written.*audit-ledger ledger reset-position/);
    const [seqs] = await seqsAndIds(tenant);
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
    const { rows } = await pool.query('SELECT next_offset FROM ledger.consumer_offsets WHERE group_id = $1 AND topic = $2', ['fencing-test', topic]);
    expect(rows[0].next_offset).toBe('5');

    // A mix is refused too: written events below the position do not vouch for unwritten ones.
    await expect(w.append({ events: [...at(old.slice(3), 3), { event: fresh[0]!, offset: '4' }], position: position(topic, 5) })).rejects.toBeInstanceOf(LedgerHoldError);
  });

  it('counts an event recorded as failed (ledger.append_failed) as written below the position', async () => {
    const tenant = aTenant('failedfence');
    const topic = `failedfence-${randomBytes(4).toString('hex')}`;
    const bad = anAcceptedEvent(tenant);
    const now = new Date();
    const failure = appendFailedEvent({ original: bad, bytes: Buffer.from(JSON.stringify(bad)), error: new Error('x'), topic, partition: 0, offset: '0', id: uuidv7(now), at: now });
    const w = new LedgerWriter(pool);
    await w.append({ events: [{ event: failure, offset: '0' }], position: position(topic, 1) });
    // Redelivery of the original at its offset: fenced, not held and not re-failed.
    expect(await w.append({ events: at([bad], 0), position: position(topic, 1) })).toMatchObject({ appended: 0, fenced: 1 });
  });

  it('refuses a batch that starts above the stored position of a known partition (messages in between never arrived)', async () => {
    const tenant = aTenant('gap');
    const topic = `gap-${randomBytes(4).toString('hex')}`;
    const w = new LedgerWriter(pool);
    // A partition seen for the first time may start anywhere (retention removed its beginning).
    const first = [anAcceptedEvent(tenant), anAcceptedEvent(tenant)];
    expect((await w.append({ events: at(first, 40), position: { ...position(topic, 42), fromOffset: '40' } })).appended).toBe(2);
    const later = [anAcceptedEvent(tenant)];
    const gap = w.append({ events: at(later, 45), position: { ...position(topic, 46), fromOffset: '45' } });
    await expect(gap).rejects.toBeInstanceOf(PositionGapError);
    await expect(gap).rejects.toThrow(/starts at offset 45, above the stored position 42: offsets 42..44 never reached the ledger/);
    // Starting exactly at the stored position (or after only dead-lettered messages were stored past) is fine.
    expect((await w.append({ events: at(later, 45), position: { ...position(topic, 46), fromOffset: '42' } })).appended).toBe(1);
    const [seqs] = await seqsAndIds(tenant);
    expect(seqs).toEqual([1, 2, 3]);
  });
});
