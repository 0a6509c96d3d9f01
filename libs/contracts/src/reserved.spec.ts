import { EVENT_TYPES } from './audit-event';
import { RESERVED_EVENT_TYPES, RESERVED_SOURCE_SYSTEMS, requiresServiceCredential, reservedAssertion } from './reserved';

describe('reserved assertions', () => {
  it('names the rule and the field for a reserved type or source, and nothing for an emitter event', () => {
    expect(reservedAssertion({ type: 'gate.decided' })).toEqual({ path: 'type', rule: 'reserved-event-type', message: expect.stringMatching(/^reserved-event-type: events of type gate.decided/) });
    expect(reservedAssertion({ type: 'deployment.succeeded', source: { system: 'query-alerting' } })).toEqual({
      path: 'source.system',
      rule: 'reserved-source-system',
      message: expect.stringMatching(/^reserved-source-system: source.system query-alerting/),
    });
    expect(reservedAssertion({ type: 'approval.granted', source: { system: 'github-actions' } })).toBeUndefined();
    expect(reservedAssertion({ type: 'ledger.verification_failed' })?.rule).toBe('reserved-event-type');
  });

  it('reserves only system types: every emitter lifecycle type stays open', () => {
    const open = EVENT_TYPES.filter((t) => !(RESERVED_EVENT_TYPES as readonly string[]).includes(t));
    expect(open).toEqual(expect.arrayContaining(['change.requested', 'plan.created', 'approval.granted', 'deployment.started', 'review.submitted', 'k8s.request']));
    for (const t of open) expect(t.startsWith('alert.') || t.startsWith('ledger.') || t.startsWith('gate.') || t.startsWith('policy.')).toBe(false);
    expect(RESERVED_SOURCE_SYSTEMS).toEqual(expect.arrayContaining(['approval-policy', 'query', 'query-alerting', 'ledger']));
  });

  it('asks the ledger for a service credential on any claimed provenance or reserved assertion', () => {
    expect(requiresServiceCredential({ type: 'config.changed' })).toBe(false);
    expect(requiresServiceCredential({ type: 'config.changed', provenance: { kind: 'api_key' } })).toBe(true);
    expect(requiresServiceCredential({ type: 'audit.read' })).toBe(true);
    expect(requiresServiceCredential({ type: 'config.changed', source: { system: 'approval-policy' } })).toBe(true);
  });
});
