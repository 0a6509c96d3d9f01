import { webcrypto } from 'node:crypto';
import {
  formatVerifierKey,
  generateSigningKey,
  inclusionProof,
  leafHashOf,
  signCheckpoint,
  rootFromLeafHashes,
  type LedgerEntry,
} from '@audit/ledger-core';
import { leafHash, ledgerEntryOf, parseCheckpointNote, verifyEventInclusion, type InclusionProofResponse, type SubtleLike } from './inclusion-proof.verify';

// Node's WebCrypto is the browser's API, Ed25519 included: the same code path the console runs.
const subtle = webcrypto.subtle as unknown as SubtleLike;
const tenant = 'acme';
const key = generateSigningKey('test-console-key');
const keys = [{ name: key.verifierKey.name, keyId: key.verifierKey.keyId.toString('hex'), vkey: formatVerifierKey(key.verifierKey) }];

const entryFor = (seq: number): LedgerEntry => ({
  id: `0190c1a2-7b3c-7def-8a12-${String(seq).padStart(12, '0')}`,
  tenant,
  type: 'deployment.succeeded',
  occurredAt: '2025-01-31T11:59:58.000Z',
  receivedAt: '2025-01-31T11:59:59.125Z',
  recordedAt: '2025-01-31T12:00:00.000Z',
  actor: { id: 'alice', type: 'user', roles: ['deployer'], teams: [] },
  resource: { kind: 'service', id: 'payments', environment: 'prod' },
  details: { note: 'naïve ✓ "quoted"', n: 1e30, nested: { b: 2, a: [0.002, -0] } },
  seq,
});

function ledgerOf(size: number) {
  const entries = Array.from({ length: size }, (_, i) => entryFor(i + 1));
  const leaves = entries.map((e) => leafHashOf(e));
  const note = signCheckpoint({ origin: `audit-ledger.example/tenant/${tenant}`, size, rootHash: rootFromLeafHashes(leaves), time: '2025-01-31T12:00:05Z', prevNoteHash: null }, key.signer);
  const proofOf = (seq: number): InclusionProofResponse => ({
    seq,
    leafIndex: seq - 1,
    treeSize: size,
    leafHash: leaves[seq - 1]!.toString('base64'),
    proof: inclusionProof(leaves, seq - 1).map((h) => h.toString('base64')),
    checkpoint: note,
  });
  return { entries, leaves, note, proofOf };
}

describe('browser inclusion-proof verification (WebCrypto) agrees with ledger-core (node:crypto)', () => {
  it('recomputes the README example leaf hash', async () => {
    const example = {
      actor: { id: 'alice', roles: ['deployer'], type: 'user' },
      id: '0190c1a2-7b3c-7def-8a12-3456789abcde',
      occurredAt: '2025-01-31T11:59:58.000Z',
      receivedAt: '2025-01-31T11:59:59.125Z',
      recordedAt: '2025-01-31T12:00:00.000Z',
      resource: { environment: 'prod', id: 'payments', kind: 'service' },
      seq: 1,
      tenant: 'acme',
      type: 'deployment.succeeded',
    };
    expect(Buffer.from(await leafHash(subtle, example)).toString('hex')).toBe('91f3a50679b265b3c035bbcdbf4d6e3d9919c57f3a2a29fc51d19a5191fc8a53');
  });

  it.each([1, 2, 3, 7, 8, 13])('verifies every leaf of a tree of size %i', async (size) => {
    const ledger = ledgerOf(size);
    for (let seq = 1; seq <= size; seq++) {
      const entry = ledger.entries[seq - 1]!;
      expect(Buffer.from(await leafHash(subtle, entry))).toEqual(ledger.leaves[seq - 1]);
      const verdict = await verifyEventInclusion(subtle, { tenant, entry, proof: ledger.proofOf(seq), keys });
      expect(verdict.checks.filter((c) => c.ok !== true)).toEqual([]);
      expect(verdict.status).toBe('verified');
      expect(verdict.checkpoint).toMatchObject({ size, keyName: expect.stringContaining('test-console-key') });
    }
  });

  it('fails on an edited event, a wrong sibling, a forged root, an unknown key and another tenant', async () => {
    const ledger = ledgerOf(5);
    const good = ledger.proofOf(3);
    const entry = ledger.entries[2]!;
    const failing = async (input: Partial<Parameters<typeof verifyEventInclusion>[1]>) =>
      (await verifyEventInclusion(subtle, { tenant, entry, proof: good, keys, ...input })).checks.filter((c) => c.ok === false).map((c) => c.name);

    expect(await failing({ entry: { ...entry, type: 'deployment.failed' } })).toEqual(['leaf-hash']);
    const flipped = Buffer.from(good.proof[0]!, 'base64');
    flipped[0]! ^= 1;
    expect(await failing({ proof: { ...good, proof: [flipped.toString('base64'), ...good.proof.slice(1)] } })).toEqual(['inclusion']);
    expect(await failing({ proof: { ...good, proof: good.proof.slice(1) } })).toEqual(['inclusion']);
    expect(await failing({ proof: { ...good, leafIndex: 1 } })).toEqual(['inclusion']);
    const forged = good.checkpoint.replace(/^(.*\n.*\n)(.*)\n/, (_m, head: string) => `${head}${Buffer.alloc(32, 7).toString('base64')}\n`);
    expect(await failing({ proof: { ...good, checkpoint: forged } })).toEqual(['checkpoint-signature', 'inclusion']);
    const other = generateSigningKey('test-console-key');
    expect(await failing({ keys: [{ name: 'x', keyId: '', vkey: formatVerifierKey(other.verifierKey) }] })).toEqual(['checkpoint-signature']);
    expect(await failing({ tenant: 'other' })).toEqual(['checkpoint-origin']);
  });

  it('is partial, never verified, when the event content is not all visible', async () => {
    const ledger = ledgerOf(2);
    const verdict = await verifyEventInclusion(subtle, { tenant, entry: null, entryUnavailableReason: 'details hidden', proof: ledger.proofOf(1), keys });
    expect(verdict.status).toBe('partial');
    expect(verdict.checks.find((c) => c.name === 'leaf-hash')).toEqual({ name: 'leaf-hash', ok: null, detail: 'details hidden' });
  });

  it('drops derived fields and the proof link from a hit', () => {
    expect(ledgerEntryOf({ seq: 1, hash: 'h', prevHash: 'p', leafHash: 'l', proof: { inclusion: 'u' }, type: 't' })).toEqual({ seq: 1, type: 't' });
  });

  it('refuses malformed notes with a reason', () => {
    expect(parseCheckpointNote('nope')).toBe('checkpoint note has no signature block');
    expect(parseCheckpointNote('o\n01\nAAAA\ntime t\nprev -\n\n— k AAAA\n')).toBe('checkpoint size is not a canonical number');
  });
});
