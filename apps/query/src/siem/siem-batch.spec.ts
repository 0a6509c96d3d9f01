import { AcceptedEvent, type CommittedRecord } from '@audit/contracts';
import { anAcceptedEvent } from '@audit/testing';
import { formatLine, positionsOf, toBatches, toHecEvent, undelivered } from './siem-batch';

const hex = (c: string) => c.repeat(64);
const record = (tenant: string, seq: number, reason = 'resize'): CommittedRecord => ({
  event: AcceptedEvent.parse(anAcceptedEvent(tenant, { occurredAt: '2026-11-25T10:00:00.250Z', reason })),
  seq,
  recordedAt: '2026-11-25T10:00:01.000Z',
  leafHash: hex('a'),
  hash: hex((seq % 10).toString()),
  prevHash: hex('b'),
});
const hecMeta = { format: 'splunk-hec' as const, source: 'audit-ledger', sourcetype: 'audit-ledger:committed' };

describe('HEC events', () => {
  it('carries the record unchanged, its occurrence time in epoch seconds, and its ledger position as fields', () => {
    const r = record('acme', 7);
    expect(toHecEvent(r, { ...hecMeta, index: 'audit', host: 'ledger-1' })).toEqual({
      time: 1_795_600_800.25,
      host: 'ledger-1',
      source: 'audit-ledger',
      sourcetype: 'audit-ledger:committed',
      index: 'audit',
      fields: { tenant: 'acme', seq: 7, hash: r.hash, eventId: r.event.id },
      event: r,
    });
  });

  it('leaves host and index out when unset, so the token defaults apply', () => {
    const event = JSON.parse(formatLine(record('acme', 1), hecMeta));
    expect(Object.keys(event).sort()).toEqual(['event', 'fields', 'source', 'sourcetype', 'time']);
  });

  it('writes the bare committed record for ndjson', () => {
    const r = record('acme', 3);
    expect(JSON.parse(formatLine(r, { ...hecMeta, format: 'ndjson' }))).toEqual(r);
  });
});

describe('batching', () => {
  const records = Array.from({ length: 10 }, (_, i) => record('acme', i + 1));
  const lineBytes = Buffer.byteLength(formatLine(records[0]!, hecMeta)) + 1;

  it('cuts by count, keeps order, and ends every line with a newline', () => {
    const batches = toBatches(records, hecMeta, { maxEvents: 4, maxBytes: 10_000_000 });
    expect(batches.map((b) => b.records.map((r) => r.seq))).toEqual([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]);
    for (const b of batches) {
      expect(b.body.endsWith('\n')).toBe(true);
      const lines = b.body.trimEnd().split('\n').map((l) => JSON.parse(l));
      expect(lines.map((l) => l.fields.seq)).toEqual(b.records.map((r) => r.seq));
      expect(b.bytes).toBe(Buffer.byteLength(b.body));
    }
  });

  it('cuts by bytes, and sends a single oversized event alone rather than dropping it', () => {
    const byBytes = toBatches(records, hecMeta, { maxEvents: 100, maxBytes: lineBytes * 3 + 1 });
    expect(byBytes.map((b) => b.records.length)).toEqual([3, 3, 3, 1]);
    for (const b of byBytes) expect(b.bytes).toBeLessThanOrEqual(lineBytes * 3 + 1);
    const big = record('acme', 11, 'x'.repeat(4_000));
    const withBig = toBatches([records[0]!, big, records[1]!], hecMeta, { maxEvents: 100, maxBytes: 2_000 });
    expect(withBig.map((b) => b.records.map((r) => r.seq))).toEqual([[1], [11], [2]]);
  });

  it('makes no batch of nothing', () => {
    expect(toBatches([], hecMeta, { maxEvents: 10, maxBytes: 10_000 })).toEqual([]);
  });
});

describe('what a sink still owes', () => {
  it('skips what the position covers, other tenants, and a seq published twice', () => {
    const a1 = record('a', 1);
    const a2 = record('a', 2);
    const a3 = record('a', 3);
    const b5 = record('b', 5);
    const c1 = record('c', 1);
    const owed = undelivered([a1, b5, a2, c1, a2, a3], new Map([['a', 1]]), ['a', 'b']);
    expect(owed.map((r) => [r.event.tenant, r.seq])).toEqual([
      ['b', 5],
      ['a', 2],
      ['a', 3],
    ]);
    expect(undelivered([a1, c1], new Map(), undefined)).toHaveLength(2);
  });

  it('stores the highest seq per tenant of an acknowledged batch', () => {
    expect(positionsOf([record('a', 4), record('b', 2), record('a', 5)])).toEqual(new Map([['a', 5], ['b', 2]]));
  });
});
