import { createHash } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { AcceptedEvent, topicName } from '@audit/contracts';
import { ensureTopics } from '@audit/kafka';
import { verifyTenantLedger } from '@audit/ledger-store';
import { anAcceptedEvent, aTenant, expectEventually } from '@audit/testing';
import { LedgerHarness, metricValue } from './ledger-harness';

interface DeadLetter {
  reason: string;
  sourceTopic: string;
  offset: string;
  originalValue: string;
  service: string;
}

/**
 * One accepted record the ledger cannot append must not stop its partition: it is isolated, recorded
 * in its tenant's own log as ledger.append_failed (id, digest, reason), dead-lettered, and everything
 * after it — same tenant, other tenants — is committed. A transient failure (Postgres unreachable) is
 * retried instead, and never dead-letters anything.
 */
describe('no partition waits on one record', () => {
  const h = new LedgerHarness();
  const MARKER = `unappendable-${h.namespace}`;
  const dlq: DeadLetter[] = [];
  let dlqConsumer: Consumer | undefined;

  beforeAll(async () => {
    process.env.LEDGER_FAULT_REFUSE_REASON = MARKER;
    // One partition: every tenant of this test shares the partition the bad record is on.
    await ensureTopics(h.kafka, [{ name: topicName('ingested', h.namespace), partitions: 1 }]);
    await h.start();
    dlqConsumer = h.kafka.consumer({ groupId: `${h.namespace}-dlq-watch` });
    await dlqConsumer.connect();
    await dlqConsumer.subscribe({ topic: topicName('dlq', h.namespace), fromBeginning: true });
    await dlqConsumer.run({ eachMessage: async ({ message }) => void dlq.push(JSON.parse(String(message.value)) as DeadLetter) });
  });
  afterAll(async () => {
    delete process.env.LEDGER_FAULT_REFUSE_REASON;
    delete process.env.LEDGER_FAULT_DB_DOWN;
    await dlqConsumer?.disconnect();
    await h.close();
  });

  it('records the failure in the tenant’s log, dead-letters the original, and commits everything after it', async () => {
    const a = aTenant('a');
    const b = aTenant('b');
    const before = anAcceptedEvent(a);
    const bad = anAcceptedEvent(a, { type: 'change.cancelled', changeId: 'CHG-1', reason: MARKER });
    const afterSame = anAcceptedEvent(a);
    const otherTenant = anAcceptedEvent(b);
    await h.send([before, bad, afterSame, otherTenant]);

    await expectEventually(async () => {
      expect((await h.rows(a)).length).toBe(3);
      expect((await h.rows(b)).map((r) => r.event_id)).toEqual([otherTenant.id]);
    });
    const rows = await h.rows(a);
    expect(rows[0]!.event_id).toBe(before.id);
    expect(rows[2]!.event_id).toBe(afterSame.id);
    expect(rows.map((r) => r.event_id)).not.toContain(bad.id);

    // The failure record sits at the bad event's place, names it, its digest and the reason.
    const { rows: stored } = await h.pool.query<{ canonical: string }>('SELECT canonical FROM ledger.records WHERE tenant = $1 AND seq = 2', [a]);
    const failure = AcceptedEvent.parse(omit(JSON.parse(stored[0]!.canonical) as Record<string, unknown>, ['seq', 'recordedAt']));
    const bytes = Buffer.from(JSON.stringify(bad), 'utf8');
    expect(failure).toMatchObject({
      type: 'ledger.append_failed',
      tenant: a,
      changeId: 'CHG-1',
      outcome: 'failed',
      provenance: { kind: 'service', id: 'ledger', auth: 'service-credential', via: 'ledger' },
      details: { eventId: bad.id, eventType: 'change.cancelled', digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, offset: '1' },
    });
    expect(failure.reason).toContain('LEDGER_FAULT_REFUSE_REASON');

    // It verifies like any record, and is announced on audit.committed.v1 (what the alerting reads).
    await expectEventually(async () => {
      const { rows: cp } = await h.pool.query('SELECT size FROM ledger.checkpoints WHERE tenant = $1 ORDER BY id DESC LIMIT 1', [a]);
      expect(Number(cp[0]?.size)).toBe(3);
    });
    expect(await verifyTenantLedger(h.pool, a, h.trustedKeys)).toMatchObject({ ok: true, rows: 3, problems: 0 });

    // The original, byte for byte, is on the DLQ with the reason.
    await expectEventually(() => expect(dlq.find((d) => Buffer.from(d.originalValue, 'base64').equals(bytes))).toBeDefined());
    const letter = dlq.find((d) => Buffer.from(d.originalValue, 'base64').equals(bytes))!;
    expect(letter).toMatchObject({ service: 'ledger', sourceTopic: topicName('ingested', h.namespace), offset: '1' });
    expect(letter.reason).toContain(bad.id);

    const metrics = await h.app!.inject({ method: 'GET', url: '/metrics' });
    expect(metricValue(metrics.body, 'ledger_append_failures_total')).toBeGreaterThanOrEqual(1);
  });

  it('records an accepted event that does not validate here in its tenant’s log, instead of only dead-lettering it', async () => {
    const t = aTenant('invalid');
    const good = anAcceptedEvent(t);
    // Attributable (tenant and id, as ingest sets them) but not a valid event: unknown type, extra field.
    const invalid = { ...anAcceptedEvent(t), type: 'no.such.type', extra: true };
    const raw = JSON.stringify(invalid);
    await h.sendRaw(t, raw);
    await h.send([good]);
    await expectEventually(async () => expect((await h.rows(t)).length).toBe(2));
    const { rows } = await h.pool.query<{ type: string; canonical: string }>('SELECT type, canonical FROM ledger.records WHERE tenant = $1 ORDER BY seq', [t]);
    expect(rows.map((r) => r.type)).toEqual(['ledger.append_failed', good.type]);
    const failure = JSON.parse(rows[0]!.canonical) as { reason: string; details: Record<string, unknown> };
    expect(failure.details).toMatchObject({ eventId: invalid.id, eventType: 'no.such.type', digest: `sha256:${createHash('sha256').update(raw).digest('hex')}`, error: 'InvalidAcceptedEventError' });
    expect(failure.reason).toContain('type');
    await expectEventually(() => expect(dlq.find((d) => Buffer.from(d.originalValue, 'base64').toString('utf8') === raw)).toBeDefined());
    expect(await verifyTenantLedger(h.pool, t, h.trustedKeys)).toMatchObject({ ok: true, rows: 2, problems: 0 });
  });

  it('records a message that is not strict JSON (lone surrogate, duplicate key) in its tenant’s log too', async () => {
    const t = aTenant('strict');
    const surrogate = JSON.stringify(anAcceptedEvent(t, { reason: 'x \ud800' }));
    const duplicate = JSON.stringify(anAcceptedEvent(t, { changeId: 'CHG-a' })).replace('"changeId":"CHG-a"', '"changeId":"CHG-a","changeId":"CHG-b"');
    const good = anAcceptedEvent(t);
    await h.sendRaw(t, surrogate);
    await h.sendRaw(t, duplicate);
    await h.send([good]);
    await expectEventually(async () => expect((await h.rows(t)).length).toBe(3));
    const { rows } = await h.pool.query<{ type: string; canonical: string }>('SELECT type, canonical FROM ledger.records WHERE tenant = $1 ORDER BY seq', [t]);
    expect(rows.map((r) => r.type)).toEqual(['ledger.append_failed', 'ledger.append_failed', good.type]);
    const reasons = rows.slice(0, 2).map((r) => (JSON.parse(r.canonical) as { reason: string }).reason);
    expect(reasons[0]).toMatch(/not strict JSON: reason: string is not well-formed Unicode: lone UTF-16 surrogate \\ud800/);
    expect(reasons[1]).toMatch(/not strict JSON: changeId: duplicate key "changeId"/);
    for (const raw of [surrogate, duplicate]) await expectEventually(() => expect(dlq.find((d) => Buffer.from(d.originalValue, 'base64').toString('utf8') === raw)).toBeDefined());
    expect(await verifyTenantLedger(h.pool, t, h.trustedKeys)).toMatchObject({ ok: true, rows: 3, problems: 0 });
  });

  it('retries a transient failure instead of dead-lettering, and commits once it passes', async () => {
    const t = aTenant('down');
    const events = [anAcceptedEvent(t), anAcceptedEvent(t)];
    const lettersBefore = dlq.length;
    process.env.LEDGER_FAULT_DB_DOWN = '1';
    await h.send(events);
    // Several attempts fail meanwhile (the consumer logs "batch failed, retrying").
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await h.rows(t)).toEqual([]);
    delete process.env.LEDGER_FAULT_DB_DOWN;
    await expectEventually(async () => expect((await h.rows(t)).map((r) => r.event_id)).toEqual(events.map((e) => e.id)), { timeoutMs: 30_000 });
    expect(dlq.length).toBe(lettersBefore);
    const { rows } = await h.pool.query("SELECT count(*)::int AS n FROM ledger.records WHERE tenant = $1 AND type = 'ledger.append_failed'", [t]);
    expect(rows[0].n).toBe(0);
  });
});

function omit(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
}
