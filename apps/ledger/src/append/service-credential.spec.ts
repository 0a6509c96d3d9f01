import { serviceProvenance } from '@audit/contracts';
import { serviceSignedMessage } from '@audit/ledger-core';
import { anAcceptedEvent } from '@audit/testing';
import { classifyAppendError } from './append-errors';
import { assertServiceCredentials, firstUncredentialed, UncredentialedEventError } from './service-credential.check';

const secrets = ['k'.repeat(32)];
const tenant = 'acme';
const record = (value: ReturnType<typeof anAcceptedEvent>, headers: Record<string, string> = {}, offset = '7') => ({ value, offset, headers });

describe('firstUncredentialed', () => {
  it('lets through events that claim nothing (legacy, read as untrusted)', () => {
    expect(firstUncredentialed([record(anAcceptedEvent(tenant))], secrets)).toBeUndefined();
  });

  it('refuses a reserved type, a reserved source or a provenance without a valid credential', () => {
    const gate = anAcceptedEvent(tenant, { type: 'gate.decided', outcome: 'allowed' });
    const sourced = anAcceptedEvent(tenant, { source: { system: 'query-alerting' } });
    const claimed = { ...anAcceptedEvent(tenant), provenance: serviceProvenance('approval-policy') };
    for (const value of [gate, sourced, claimed]) {
      expect(firstUncredentialed([record(value)], secrets)).toEqual({ offset: '7', reason: expect.stringMatching(/^service-credential: .*none sent/) });
      const forged = serviceSignedMessage(['x'.repeat(32)], value);
      expect(firstUncredentialed([record(value, forged.headers)], secrets)?.reason).toMatch(/does not match/);
    }
  });

  it('accepts the same events signed with the deployment secret, and names the first bad one in a batch', () => {
    const gate = { ...anAcceptedEvent(tenant, { type: 'gate.decided', outcome: 'allowed' }), provenance: serviceProvenance('approval-policy') };
    const signed = serviceSignedMessage(secrets, gate);
    expect(firstUncredentialed([record(signed.value, signed.headers)], secrets)).toBeUndefined();
    const edited = { ...signed.value, outcome: 'denied' as const };
    expect(firstUncredentialed([record(signed.value, signed.headers, '1'), record(edited, signed.headers, '2')], secrets)?.offset).toBe('2');
  });
});

describe('assertServiceCredentials', () => {
  it('throws a record-level error, so the pipeline isolates that one event and appends the rest', () => {
    const gate = anAcceptedEvent(tenant, { type: 'gate.decided', outcome: 'allowed' });
    let thrown: unknown;
    try {
      assertServiceCredentials([record(gate)], secrets);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UncredentialedEventError);
    expect(classifyAppendError(thrown)).toBe('record');
    expect(() => assertServiceCredentials([record(anAcceptedEvent(tenant))], secrets)).not.toThrow();
  });

  it('leaves messages that are not accepted events to the append (recorded as invalid there)', () => {
    expect(firstUncredentialed([{ value: { tenant, id: 'x', type: 'gate.decided' }, offset: '1', headers: {} }], secrets)).toBeUndefined();
  });
});
