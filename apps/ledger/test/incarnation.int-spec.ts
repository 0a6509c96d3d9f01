import { topicName } from '@audit/contracts';
import { anAcceptedEvent, aTenant, expectEventually } from '@audit/testing';
import { runCli } from '../../cli/src/main';
import { LedgerHarness } from './ledger-harness';

/**
 * The stored position belongs to one incarnation of the topic. Delete and recreate audit.ingested.v1
 * under a running ledger (a broker reset, a new cluster): the new topic's offsets start below the stored
 * position, and the ledger must neither skip those events as "already written" nor lose them. It holds
 * the partition, says so in /readyz, and continues after the recorded reset command.
 */
describe('the fence knows its topic', () => {
  const h = new LedgerHarness();
  const topic = topicName('ingested', h.namespace);
  const admin = h.kafka.admin();

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await h.start();
  });
  afterAll(async () => {
    await admin.disconnect();
    await h.close();
  });

  const readyz = async () => {
    const res = await h.app!.inject({ method: 'GET', url: '/readyz' });
    return { status: res.statusCode, body: res.json() as { checks: Record<string, { ok: boolean; error?: string }> } };
  };

  it('holds events of a recreated topic instead of skipping them, and appends them after the reset', async () => {
    const t = aTenant('incarnation');
    const first = Array.from({ length: 5 }, () => anAcceptedEvent(t));
    await h.send(first);
    await expectEventually(async () => expect(await h.rows(t)).toHaveLength(5));

    await admin.deleteTopics({ topics: [topic], timeout: 30_000 });
    await expectEventually(async () => expect(await admin.listTopics()).not.toContain(topic), { timeoutMs: 30_000 });
    await expectEventually(async () => expect(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true })).toBe(true), { timeoutMs: 30_000, intervalMs: 1_000 });

    // Said before any new event arrives: the stored position lies beyond the new topic's end.
    await expectEventually(
      async () => {
        const r = await readyz();
        expect(r.status).toBe(503);
        expect(r.body.checks['position']?.error).toContain(`${topic} partition 0: stored position 5`);
        expect(r.body.checks['position']?.error).toContain('another incarnation');
      },
      { timeoutMs: 30_000 },
    );

    const second = [anAcceptedEvent(t), anAcceptedEvent(t)];
    await expectEventually(() => h.send(second), { timeoutMs: 30_000, intervalMs: 1_000 });

    // Offsets 0 and 1 of the new topic lie below the stored position 5 and were never written: held.
    await expectEventually(
      async () => {
        const r = await readyz();
        expect(r.status).toBe(503);
        expect(r.body.checks['consumer']?.error).toContain(`${topic} partition 0 held`);
        expect(r.body.checks['consumer']?.error).toContain('never written to the ledger');
        expect(r.body.checks['consumer']?.error).toContain('audit-ledger ledger reset-position');
      },
      { timeoutMs: 60_000 },
    );
    expect(await h.rows(t)).toHaveLength(5);

    const logTenant = aTenant('ops');
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['ledger', 'reset-position', '--partition', '0', '--to', '0', '--reason', 'topic recreated in the test', '--tenant', logTenant], {
      stdout: (s) => void out.push(s),
      stderr: (s) => void err.push(s),
      env: { DATABASE_URL: process.env.DATABASE_URL, KAFKA_BROKERS: process.env.KAFKA_BROKERS, KAFKA_TOPIC_NAMESPACE: h.namespace, SERVICE_CREDENTIAL_SECRET: process.env.SERVICE_CREDENTIAL_SECRET },
    });
    expect([code, err.join('')]).toEqual([0, '']);
    expect(out.join('')).toContain('position 5 → 0');

    await expectEventually(async () => expect((await h.rows(t)).map((r) => r.event_id)).toEqual([...first, ...second].map((e) => e.id)), { timeoutMs: 30_000 });
    await expectEventually(async () => expect((await readyz()).status).toBe(200), { timeoutMs: 20_000 });

    // The reset itself is in the ledger: who, why, from where to where.
    await expectEventually(async () => {
      const { rows } = await h.pool.query<{ canonical: string }>("SELECT canonical FROM ledger.records WHERE tenant = $1 AND type = 'ledger.position_reset'", [logTenant]);
      expect(rows).toHaveLength(1);
      expect(JSON.parse(rows[0]!.canonical)).toMatchObject({ actor: { id: expect.stringMatching(/^db:[^,]+,os:.+@.+$/) }, reason: 'topic recreated in the test', details: { topic, partition: 0, from: '5', to: '0' } });
    });
  }, 180_000);
});
