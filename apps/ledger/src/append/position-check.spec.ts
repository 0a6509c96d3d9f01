import { describeMisplaced, misplacedPositions } from './position-check';

describe('misplacedPositions', () => {
  it('flags a stored position above the high watermark or on a partition the topic lacks', () => {
    expect(
      misplacedPositions(
        [
          { partition: 0, nextOffset: '120' },
          { partition: 1, nextOffset: '40' },
          { partition: 2, nextOffset: '7' },
          { partition: 5, nextOffset: '1' },
        ],
        [
          { partition: 0, high: '3' },
          { partition: 1, high: '40' },
          { partition: 2, high: '90' },
        ],
      ),
    ).toEqual([
      { partition: 0, stored: '120', high: '3' },
      { partition: 5, stored: '1', high: null },
    ]);
  });

  it('accepts positions at or below the end (a lagging consumer, or nothing new)', () => {
    expect(misplacedPositions([{ partition: 0, nextOffset: '0' }], [{ partition: 0, high: '0' }])).toEqual([]);
  });

  it('says what happened and what to run', () => {
    const text = describeMisplaced('audit.ingested.v1', 'ledger-writer', { partition: 0, stored: '120', high: '3' });
    expect(text).toContain('stored position 120');
    expect(text).toContain('the topic now ends at 3');
    expect(text).toContain('audit-ledger ledger reset-position --topic audit.ingested.v1 --partition 0 --group ledger-writer');
  });
});
