import { topicName } from '@audit/contracts';
import { ensureTopics } from '@audit/kafka';
import { anAcceptedEvent, aTenant, expectEventually } from '@audit/testing';
import { LedgerHarness, metricValue } from './ledger-harness';

/**
 * A partition that cannot move must be visible: with messages waiting and no progress for
 * CONSUMER_STALL_SECONDS, `/readyz` is degraded naming the topic and partition, the stall gauge reads 1
 * and ledger_consumer_lag counts what waits (it used to read 0). When the partition moves again, all
 * three recover.
 */
describe('a stuck partition is visible', () => {
  const h = new LedgerHarness();
  const topic = topicName('ingested', h.namespace);

  beforeAll(async () => {
    await ensureTopics(h.kafka, [{ name: topic, partitions: 1 }]);
    await h.start({ CONSUMER_STALL_SECONDS: '2' });
  });
  afterAll(async () => {
    delete process.env.LEDGER_FAULT_DB_DOWN;
    await h.close();
  });

  const readyz = async () => {
    const res = await h.app!.inject({ method: 'GET', url: '/readyz' });
    return { status: res.statusCode, body: res.json() as { ready: boolean; checks: Record<string, { ok: boolean; error?: string }> } };
  };
  const metrics = async () => (await h.app!.inject({ method: 'GET', url: '/metrics' })).body;

  it('turns /readyz degraded while a partition with waiting messages does not move, and recovers', async () => {
    const t = aTenant('stall');
    await h.send([anAcceptedEvent(t)]);
    await expectEventually(async () => expect(await h.rows(t)).toHaveLength(1));
    expect((await readyz()).status).toBe(200);

    // Every append now fails as if Postgres were unreachable: retried, never skipped, never dead-lettered.
    process.env.LEDGER_FAULT_DB_DOWN = '1';
    const stuck = [anAcceptedEvent(t), anAcceptedEvent(t), anAcceptedEvent(t)];
    await h.send(stuck);
    await expectEventually(
      async () => {
        const r = await readyz();
        expect(r.status).toBe(503);
        expect(r.body.checks['consumer']).toMatchObject({ ok: false });
        expect(r.body.checks['consumer']?.error).toContain(`${topic} partition 0 3 message(s) waiting`);
        expect(r.body.checks['consumer']?.error).toContain('LEDGER_FAULT_DB_DOWN');
      },
      { timeoutMs: 20_000 },
    );
    const stalled = await metrics();
    expect(metricValue(stalled, 'consumer_partition_stalled', { topic, partition: '0' })).toBe(1);
    expect(metricValue(stalled, 'ledger_consumer_lag', { partition: '0' })).toBe(3);
    expect(await h.rows(t)).toHaveLength(1);

    delete process.env.LEDGER_FAULT_DB_DOWN;
    await expectEventually(async () => expect((await h.rows(t)).map((r) => r.event_id).slice(1)).toEqual(stuck.map((e) => e.id)), { timeoutMs: 30_000 });
    await expectEventually(async () => expect((await readyz()).status).toBe(200));
    const recovered = await metrics();
    expect(metricValue(recovered, 'consumer_partition_stalled', { topic, partition: '0' })).toBe(0);
    expect(metricValue(recovered, 'ledger_consumer_lag', { partition: '0' })).toBe(0);
  }, 90_000);
});
