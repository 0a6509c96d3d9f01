import { createHash } from 'node:crypto';

import { JcsError } from './jcs';
import { LedgerEntryError, assertLedgerEntry, leafData, leafHashOf, leafIndexOf } from './record';
import type { LedgerEntry } from './record';

const ENTRY: LedgerEntry = {
  id: '0190c1a2-7b3c-7def-8a12-3456789abcde',
  tenant: 'acme',
  type: 'deployment.succeeded',
  occurredAt: '2025-01-31T11:59:58.000Z',
  receivedAt: '2025-01-31T11:59:59.125Z',
  actor: { id: 'alice', type: 'user', roles: ['deployer'] },
  resource: { kind: 'service', id: 'payments', environment: 'prod' },
  seq: 1,
  recordedAt: '2025-01-31T12:00:00.000Z',
};

// Computed independently (Python: json.dumps(sort_keys=True, separators=(',', ':')) and hashlib).
const ENTRY_LEAF_DATA =
  '{"actor":{"id":"alice","roles":["deployer"],"type":"user"},"id":"0190c1a2-7b3c-7def-8a12-3456789abcde",' +
  '"occurredAt":"2025-01-31T11:59:58.000Z","receivedAt":"2025-01-31T11:59:59.125Z",' +
  '"recordedAt":"2025-01-31T12:00:00.000Z","resource":{"environment":"prod","id":"payments","kind":"service"},' +
  '"seq":1,"tenant":"acme","type":"deployment.succeeded"}';
const ENTRY_LEAF_HASH = '91f3a50679b265b3c035bbcdbf4d6e3d9919c57f3a2a29fc51d19a5191fc8a53';

describe('leafData', () => {
  it('is the UTF-8 RFC 8785 canonical JSON of the entry', () => {
    expect(leafData(ENTRY).toString('utf8')).toBe(ENTRY_LEAF_DATA);
  });

  it('does not depend on the order fields were written in', () => {
    const reordered = Object.fromEntries(Object.entries(ENTRY).reverse()) as LedgerEntry;
    expect(leafData(reordered).equals(leafData(ENTRY))).toBe(true);
  });

  it.each(['hash', 'prevHash', 'leafHash'])('refuses an entry that contains the derived field %s', (field) => {
    expect(() => leafData({ ...ENTRY, [field]: 'x' })).toThrow(LedgerEntryError);
    expect(() => leafData({ ...ENTRY, [field]: undefined })).toThrow(/derived field/);
  });

  it.each<[string, unknown]>([
    ['seq 0', { ...ENTRY, seq: 0 }],
    ['a fractional seq', { ...ENTRY, seq: 1.5 }],
    ['seq as a string', { ...ENTRY, seq: '1' }],
    ['seq above 2^53', { ...ENTRY, seq: 2 ** 53 }],
    ['no seq', { ...ENTRY, seq: undefined }],
    ['no tenant', { ...ENTRY, tenant: undefined }],
    ['an empty tenant', { ...ENTRY, tenant: '' }],
    ['recordedAt with an offset', { ...ENTRY, recordedAt: '2025-01-31T13:00:00+01:00' }],
    ['recordedAt on a day that does not exist', { ...ENTRY, recordedAt: '2025-02-29T12:00:00Z' }],
    ['recordedAt as a number', { ...ENTRY, recordedAt: 1738324800000 }],
    ['an array', [ENTRY]],
    ['null', null],
  ])('refuses %s', (_label, value) => {
    expect(() => leafData(value as LedgerEntry)).toThrow(LedgerEntryError);
  });

  it('refuses what RFC 8785 cannot canonicalize', () => {
    expect(() => leafData({ ...ENTRY, details: { at: new Date(0) } })).toThrow(JcsError);
    expect(() => leafData({ ...ENTRY, details: { ratio: NaN } })).toThrow(/\$\.details\.ratio/);
  });

  it('accepts leap days and sub-millisecond fractions', () => {
    expect(() => assertLedgerEntry({ ...ENTRY, recordedAt: '2024-02-29T23:59:59.123456789Z' })).not.toThrow();
  });
});

describe('leafHashOf', () => {
  it('is SHA-256(0x00 ‖ leafData) — known answer', () => {
    expect(leafHashOf(ENTRY).toString('hex')).toBe(ENTRY_LEAF_HASH);
    const direct = createHash('sha256').update(Buffer.from([0])).update(ENTRY_LEAF_DATA).digest('hex');
    expect(direct).toBe(ENTRY_LEAF_HASH);
  });

  it('changes with any field', () => {
    expect(leafHashOf({ ...ENTRY, seq: 2 }).toString('hex')).not.toBe(ENTRY_LEAF_HASH);
    expect(leafHashOf({ ...ENTRY, actor: { id: 'mallory', type: 'user', roles: ['deployer'] } }).toString('hex')).not.toBe(
      ENTRY_LEAF_HASH,
    );
  });
});

describe('leafIndexOf', () => {
  it('is seq − 1', () => {
    expect(leafIndexOf(1)).toBe(0);
    expect(leafIndexOf(2 ** 40)).toBe(2 ** 40 - 1);
  });

  it.each([0, -1, 1.5, NaN, 2 ** 53])('refuses seq %p', (seq) => {
    expect(() => leafIndexOf(seq)).toThrow(RangeError);
  });
});
