import { anAcceptedEvent } from '@audit/testing';
import { documentFromLedgerRow, type LedgerRow } from './ledger-documents';

const h = (b: number) => Buffer.alloc(32, b);
const event = anAcceptedEvent('acme');
const row = (over: Partial<LedgerRow> = {}): LedgerRow => ({
  seq: 3,
  eventId: event.id,
  type: event.type,
  changeId: event.changeId ?? null,
  canonical: JSON.stringify({ ...event, seq: 3, recordedAt: '2026-12-04T12:00:00.000Z' }),
  recordedAt: new Date('2026-12-04T12:00:00.000Z'),
  redactedAt: null,
  leafHash: h(1),
  hash: h(2),
  prevHash: h(3),
  ...over,
});

describe('documentFromLedgerRow', () => {
  it('gives the document the live projector writes from the committed record, placed by occurredAt', () => {
    const built = documentFromLedgerRow('acme', row());
    expect(built).toEqual({
      document: { ...event, seq: 3, recordedAt: '2026-12-04T12:00:00.000Z', leafHash: h(1).toString('hex'), hash: h(2).toString('hex'), prevHash: h(3).toString('hex') },
      placedAt: event.occurredAt,
    });
  });

  it('gives a redacted row its redacted form, placed by its recording time', () => {
    const built = documentFromLedgerRow('acme', row({ canonical: null, redactedAt: new Date('2027-01-10T00:00:00.000Z') }));
    expect(built).toMatchObject({ placedAt: '2026-12-04T12:00:00.000Z', document: { tenant: 'acme', seq: 3, id: event.id, type: event.type, redactedAt: '2027-01-10T00:00:00.000Z', hash: h(2).toString('hex') } });
    expect(built).not.toHaveProperty('document.actor');
  });

  it("refuses an entry that is not this row's committed record of this tenant", () => {
    expect(documentFromLedgerRow('other', row())).toEqual({ invalid: expect.stringContaining('seq 3') });
    expect(documentFromLedgerRow('acme', row({ seq: 4 }))).toEqual({ invalid: expect.stringContaining('seq 4') });
    expect(documentFromLedgerRow('acme', row({ canonical: JSON.stringify({ seq: 3, recordedAt: 'x', type: 'nope' }) }))).toHaveProperty('invalid');
  });
});
