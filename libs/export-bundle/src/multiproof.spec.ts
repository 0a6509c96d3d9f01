import { createHash } from 'node:crypto';
import { hashLeaf, inclusionProof, rootFromLeafHashes, verifyInclusion } from '@audit/ledger-core';
import { buildMultiProof, verifyMultiProof, MultiProofError } from './multiproof';

function leaves(n: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => hashLeaf(Buffer.from(`leaf ${i}`)));
}

/** Deterministic pseudo-random subsets (no Math.random: failures must be reproducible). */
function subset(n: number, seed: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (createHash('sha256').update(`${seed}:${i}`).digest()[0]! % 3 === 0) out.push(i);
  return out.length > 0 ? out : [n - 1];
}

describe('multi-proof', () => {
  it('proves any subset of any tree size up to 70 against the RFC 9162 root', () => {
    for (let n = 1; n <= 70; n++) {
      const hashes = leaves(n);
      const all = Buffer.concat(hashes);
      for (const indices of [subset(n, n), [0], [n - 1], Array.from({ length: n }, (_, i) => i)]) {
        const { root, nodes } = buildMultiProof(all, indices);
        expect(root).toEqual(rootFromLeafHashes(hashes));
        expect(() => verifyMultiProof(n, root, indices, Buffer.concat(indices.map((i) => hashes[i]!)), nodes)).not.toThrow();
      }
    }
  });

  it('for a single leaf is exactly its RFC 9162 audit path', () => {
    const hashes = leaves(13);
    const { root, nodes } = buildMultiProof(Buffer.concat(hashes), [6]);
    expect(nodes.map((n) => n.hash)).toEqual(inclusionProof(hashes, 6));
    expect(() => verifyInclusion(6, 13, hashes[6]!, nodes.map((n) => n.hash), root)).not.toThrow();
  });

  it('is compact for a contiguous range: at most 2·log2(n) nodes', () => {
    const hashes = leaves(1000);
    const range = Array.from({ length: 300 }, (_, i) => 350 + i);
    expect(buildMultiProof(Buffer.concat(hashes), range).nodes.length).toBeLessThanOrEqual(20);
  });

  describe('refuses', () => {
    const hashes = leaves(21);
    const indices = [2, 3, 4, 9, 15];
    const mine = Buffer.concat(indices.map((i) => hashes[i]!));
    const { root, nodes } = buildMultiProof(Buffer.concat(hashes), indices);
    const check = (ns = nodes, idx = indices, lh = mine, size = 21) => () => verifyMultiProof(size, root, idx, lh, ns);

    it('an edited node', () => {
      const edited = nodes.map((n, i) => (i === 2 ? { ...n, hash: Buffer.alloc(32, 7) } : n));
      expect(check(edited)).toThrow(/root/);
    });
    it('a missing node', () => expect(check(nodes.slice(1))).toThrow(MultiProofError));
    it('an extra node', () => expect(check([...nodes, { level: 9, index: 0, hash: Buffer.alloc(32) }])).toThrow(MultiProofError));
    it('a node the leaves already determine', () => {
      const dup = [{ level: 0, index: 3, hash: hashes[3]! }, ...nodes].sort((a, b) => a.level - b.level || a.index - b.index);
      expect(check(dup)).toThrow(/already determined/);
    });
    it('an edited leaf', () => expect(check(nodes, indices, Buffer.concat([hashLeaf(Buffer.from('x')), mine.subarray(32)]))).toThrow(/root/));
    it('a leaf claimed at another index', () => expect(check(nodes, [2, 3, 4, 9, 16])).toThrow(MultiProofError));
    it('a proof from a larger tree against this root', () => {
      const larger = buildMultiProof(Buffer.concat([...hashes, hashLeaf(Buffer.from('leaf 21'))]), indices);
      expect(check(larger.nodes, indices, mine, 22)).toThrow(/root/);
    });
    it('unsorted indices', () => expect(check(nodes, [3, 2, 4, 9, 15])).toThrow(MultiProofError));
  });
});
