import { anAcceptedEvent } from '@audit/testing';
import { GENESIS_PREV_HASH, LedgerVerifier, MerkleFrontier, rootFromLeafHashes } from '@audit/ledger-core';
import { planAppend, uniqueById, type TenantHead } from './plan-append';

const genesis = (): TenantHead => ({ seq: 0, hash: GENESIS_PREV_HASH, frontier: MerkleFrontier.empty() });

describe('planAppend', () => {
  const at = new Date('2026-11-25T12:00:00.000Z');

  it('assigns gapless seqs from 1 and chains each record to the one before', () => {
    const events = [anAcceptedEvent('acme'), anAcceptedEvent('acme'), anAcceptedEvent('acme')];
    const { records, head } = planAppend(genesis(), events, at);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(records[0]?.prevHash.equals(GENESIS_PREV_HASH)).toBe(true);
    expect(records[1]?.prevHash.equals(records[0]!.hash)).toBe(true);
    expect(head.seq).toBe(3);
    expect(head.hash.equals(records[2]!.hash)).toBe(true);
    expect(head.frontier.root().equals(rootFromLeafHashes(records.map((r) => r.leafHash)))).toBe(true);
  });

  it('continues from an existing head across batches exactly as one batch would', () => {
    const events = Array.from({ length: 7 }, () => anAcceptedEvent('acme'));
    const once = planAppend(genesis(), events, at);
    const first = planAppend(genesis(), events.slice(0, 3), at);
    const second = planAppend(first.head, events.slice(3), at);
    expect([...first.records, ...second.records].map((r) => r.hash.toString('hex'))).toEqual(once.records.map((r) => r.hash.toString('hex')));
    expect(second.head.frontier.root().equals(once.head.frontier.root())).toBe(true);
  });

  it('does not mutate the head it was given', () => {
    const head = genesis();
    planAppend(head, [anAcceptedEvent('acme')], at);
    expect(head.seq).toBe(0);
    expect(head.frontier.size).toBe(0);
  });

  it('produces records the offline verifier accepts', () => {
    const { records } = planAppend(genesis(), Array.from({ length: 20 }, () => anAcceptedEvent('acme')), at);
    const verifier = new LedgerVerifier({ tenant: 'acme', trustedKeys: [] });
    for (const r of records) verifier.push({ seq: r.seq, entry: JSON.parse(r.canonical), leafHash: r.leafHash, hash: r.hash, prevHash: r.prevHash });
    expect(verifier.finish()).toMatchObject({ ok: true, rows: 20, problems: 0 });
  });
});

describe('uniqueById', () => {
  it('drops ids already stored and repeats within the batch', () => {
    const a = anAcceptedEvent('acme');
    const b = anAcceptedEvent('acme');
    const c = anAcceptedEvent('acme');
    expect(uniqueById([a, b, a, c, b], new Set([c.id])).map((e) => e.id)).toEqual([a.id, b.id]);
  });
});
