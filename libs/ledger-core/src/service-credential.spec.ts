import { SERVICE_CREDENTIAL_HEADER, parseServiceSecrets, serviceSignedMessage, signServiceEvent, verifyServiceEvent } from './service-credential';

const secret = 'a'.repeat(32);
const other = 'b'.repeat(32);
const event = { id: 'e1', tenant: 't', type: 'gate.decided', details: { n: 1, list: ['x'] }, provenance: { kind: 'service', id: 'approval-policy' } };

describe('service credential', () => {
  it('verifies what it signed, whatever the key order and whitespace of the parsed copy', () => {
    const { value, headers } = serviceSignedMessage([secret], event);
    const reparsed = JSON.parse(JSON.stringify({ provenance: value.provenance, details: value.details, type: value.type, tenant: value.tenant, id: value.id }, null, 2));
    expect(verifyServiceEvent([secret], reparsed, headers[SERVICE_CREDENTIAL_HEADER])).toBe(true);
    expect(verifyServiceEvent([secret], reparsed, Buffer.from(headers[SERVICE_CREDENTIAL_HEADER] as string))).toBe(true);
  });

  it('drops undefined values before signing, as the wire would', () => {
    const { value, headers } = serviceSignedMessage([secret], { ...event, reason: undefined });
    expect('reason' in value).toBe(false);
    expect(verifyServiceEvent([secret], event, headers[SERVICE_CREDENTIAL_HEADER])).toBe(true);
  });

  it('refuses another secret, an edited event, a missing or malformed header', () => {
    const header = signServiceEvent([secret], event);
    expect(verifyServiceEvent([other], event, header)).toBe(false);
    expect(verifyServiceEvent([secret], { ...event, type: 'alert.fired' }, header)).toBe(false);
    expect(verifyServiceEvent([secret], { ...event, provenance: { kind: 'service', id: 'query' } }, header)).toBe(false);
    expect(verifyServiceEvent([secret], event, undefined)).toBe(false);
    expect(verifyServiceEvent([secret], event, 'hmac-sha256=short')).toBe(false);
    expect(verifyServiceEvent([secret], event, header.replace('hmac-sha256=', 'sha1='))).toBe(false);
  });

  it('rotates: the first secret signs, every listed secret verifies', () => {
    const old = signServiceEvent([other], event);
    expect(verifyServiceEvent([secret, other], event, old)).toBe(true);
    expect(verifyServiceEvent([secret, other], event, signServiceEvent([secret, other], event))).toBe(true);
    expect(verifyServiceEvent([other], event, signServiceEvent([secret, other], event))).toBe(false);
  });

  it('parses a comma-separated secret list and refuses short secrets', () => {
    expect(parseServiceSecrets(` ${secret} , ${other}`)).toEqual([secret, other]);
    expect(() => parseServiceSecrets('short')).toThrow(/at least 32/);
    expect(() => parseServiceSecrets(' , ')).toThrow(/no service credential/);
  });
});
