import { createHash } from 'node:crypto';
import { AcceptedEvent, uuidv7 } from '@audit/contracts';
import { canonicalize } from '@audit/ledger-core';
import { anAcceptedEvent } from '@audit/testing';
import { appendFailedEvent, safeText } from './append-failed.event';

describe('appendFailedEvent', () => {
  const original = { ...anAcceptedEvent('acme', { type: 'change.requested', changeId: 'CHG-7' }), reason: 'bad \ud800 text' };
  const bytes = Buffer.from(JSON.stringify(original), 'utf8');
  const at = new Date('2026-12-04T10:00:00.000Z');
  const event = appendFailedEvent({ original, bytes, error: new Error('JcsError: unpaired UTF-16 surrogate \ud800 at reason'), topic: 'audit.ingested.v1', partition: 2, offset: '41', id: uuidv7(at), at });

  it('names the event, its digest, where it was and why, in the tenant’s own log', () => {
    expect(event).toMatchObject({
      type: 'ledger.append_failed',
      tenant: 'acme',
      changeId: 'CHG-7',
      outcome: 'failed',
      actor: { id: 'ledger', type: 'service' },
      resource: { kind: 'audit-event', id: original.id, environment: original.resource.environment },
      provenance: { kind: 'service', id: 'ledger', auth: 'service-credential', via: 'ledger' },
      details: { eventId: original.id, eventType: 'change.requested', digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, topic: 'audit.ingested.v1', partition: 2, offset: '41' },
    });
    expect(event.reason).toContain(original.id);
    expect(AcceptedEvent.safeParse(event).success).toBe(true);
  });

  it('is itself appendable even when the reason quoted the bad text', () => {
    expect(() => canonicalize({ ...event, seq: 1, recordedAt: at.toISOString() })).not.toThrow();
    expect(event.reason).not.toMatch(/[\ud800-\udfff]/);
  });

  it('leaves out a change id it could not append', () => {
    const e = appendFailedEvent({ original: { ...original, changeId: 'CHG-\udc00' }, bytes, error: 'x', topic: 't', partition: 0, offset: '1', id: uuidv7(at), at });
    expect(e.changeId).toBeUndefined();
  });

  it('records an attributable original that is not a valid event, copying nothing unsafe from it', () => {
    const junk = { tenant: 'acme', id: original.id, type: 'no.such\ud800', resource: { environment: 'PROD!' }, changeId: 42 };
    const e = appendFailedEvent({ original: junk, bytes, error: new Error('invalid'), topic: 't', partition: 0, offset: '3', id: uuidv7(at), at });
    expect(e).toMatchObject({ tenant: 'acme', resource: { kind: 'audit-event', id: original.id, environment: 'unknown' }, details: { eventType: 'no.such\ufffd' } });
    expect(e.changeId).toBeUndefined();
    expect(() => canonicalize({ ...e, seq: 1, recordedAt: at.toISOString() })).not.toThrow();
  });

  it('bounds and cleans quoted text', () => {
    expect(safeText('a\u0000b\ud800', 10)).toBe('a b\ufffd');
    expect(safeText('x'.repeat(50), 10)).toHaveLength(10);
  });
});
