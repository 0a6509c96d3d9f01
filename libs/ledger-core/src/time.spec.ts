import { isRfc3339Utc, rfc3339SortKey } from './time';

describe('isRfc3339Utc', () => {
  it.each(['2025-01-31T12:00:00Z', '2025-01-31T12:00:00.000Z', '2024-02-29T23:59:59.999999999Z', '0001-01-01T00:00:00Z'])(
    'accepts %s',
    (text) => {
      expect(isRfc3339Utc(text)).toBe(true);
    },
  );

  it.each([
    '2025-01-31T12:00:00+00:00',
    '2025-01-31t12:00:00z',
    '2025-01-31 12:00:00Z',
    '2025-01-31T12:00Z',
    '2025-01-31T12:00:00.Z',
    '2025-01-31T12:00:00.1234567890Z',
    '2025-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2025-04-31T00:00:00Z',
    '2025-13-01T00:00:00Z',
    '2025-00-01T00:00:00Z',
    '2025-01-00T00:00:00Z',
    '2025-01-31T24:00:00Z',
    '2025-01-31T23:60:00Z',
    '2025-01-31T23:59:60Z',
    '+02025-01-31T00:00:00Z',
    '',
  ])('refuses %p', (text) => {
    expect(isRfc3339Utc(text)).toBe(false);
  });

  it('accepts whatever Date#toISOString writes', () => {
    expect(isRfc3339Utc(new Date(Date.UTC(2030, 5, 15, 1, 2, 3, 4)).toISOString())).toBe(true);
  });
});

describe('rfc3339SortKey', () => {
  it('orders instants correctly whatever the number of fraction digits', () => {
    const times = ['2025-01-01T00:00:00.5Z', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00.05Z', '2024-12-31T23:59:59.999999999Z'];
    const sorted = [...times].sort((a, b) => (rfc3339SortKey(a) < rfc3339SortKey(b) ? -1 : 1));
    expect(sorted).toEqual([
      '2024-12-31T23:59:59.999999999Z',
      '2025-01-01T00:00:00Z',
      '2025-01-01T00:00:00.05Z',
      '2025-01-01T00:00:00.5Z',
    ]);
    expect(rfc3339SortKey('2025-01-01T00:00:00Z')).toBe(rfc3339SortKey('2025-01-01T00:00:00.000Z'));
  });
});
