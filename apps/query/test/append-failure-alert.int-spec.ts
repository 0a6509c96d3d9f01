import { anAcceptedEvent, aTenant, expectEventually } from '@audit/testing';
import { LedgerHarness } from '../../ledger/test/ledger-harness';
import { AlertingHarness } from './support/alerting-harness';

/**
 * End to end on the real stack: the ledger cannot append one accepted event (test-only fault switch),
 * records ledger.append_failed in the tenant's log, and the query service's built-in rule raises a
 * high-severity alert naming that event.
 */
describe('an unappendable record raises an alert', () => {
  const alerting = new AlertingHarness();
  const MARKER = `unappendable-${alerting.ns}`;
  class SharedLedger extends LedgerHarness {
    override readonly namespace = alerting.ns;
  }
  const ledger = new SharedLedger();

  beforeAll(async () => {
    process.env.LEDGER_FAULT_REFUSE_REASON = MARKER;
    await alerting.start({ QUERY_PROJECTORS: '' });
    await ledger.start();
  });
  afterAll(async () => {
    delete process.env.LEDGER_FAULT_REFUSE_REASON;
    await ledger.close();
    await alerting.stop();
  });

  it('fires builtin.ledger-append-failed (high) for the failed event', async () => {
    const tenant = aTenant('alert');
    const bad = anAcceptedEvent(tenant, { type: 'change.cancelled', changeId: 'CHG-9', reason: MARKER });
    const after = anAcceptedEvent(tenant);
    await ledger.send([bad, after]);
    await expectEventually(async () => expect(await ledger.rows(tenant)).toHaveLength(2));
    await alerting.evaluated(tenant, 2);
    await expectEventually(async () => {
      const alerts = await alerting.alerts(tenant, 'builtin.ledger-append-failed');
      expect(alerts.map((a) => [a.group_key, a.state, a.matched_seqs.map(String)])).toEqual([[bad.id, 'firing', ['1']]]);
    });
    const { rows } = await alerting.pool.query<{ severity: string }>('SELECT severity FROM query.alerts WHERE tenant = $1 AND rule_id = $2', [tenant, 'builtin.ledger-append-failed']);
    expect(rows.map((r) => r.severity)).toEqual(['high']);
  }, 90_000);
});
