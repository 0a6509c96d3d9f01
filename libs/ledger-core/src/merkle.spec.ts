import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

import {
  EMPTY_TREE_ROOT,
  MerkleFrontier,
  ProofError,
  consistencyProof,
  hashChildren,
  hashLeaf,
  inclusionProof,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from './merkle';

const VECTORS = join(__dirname, '..', 'test', 'fixtures', 'merkle');

function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  parts.forEach((part) => hash.update(part));
  return hash.digest();
}

/** The Merkle Tree Hash exactly as RFC 9162 §2.1.1 defines it, recursively: the test's own oracle. */
function referenceRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) {
    return sha256();
  }
  if (leaves.length === 1) {
    return leaves[0] as Buffer;
  }
  let k = 1;
  while (k * 2 < leaves.length) {
    k *= 2;
  }
  return sha256(Buffer.from([1]), referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

/** Deterministic distinct leaf hashes. */
function leafHashes(count: number, salt = 'leaf'): Buffer[] {
  return Array.from({ length: count }, (_, index) => hashLeaf(Buffer.from(`${salt} ${index}`)));
}

function flipBit(bytes: Uint8Array, bit: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
  return copy;
}

/**
 * Runs `check` and reports whether it threw a ProofError. The exhaustive loops use this and assert
 * once on the list of accepted forgeries, since an expect() per case costs more than the hashing.
 */
function rejected(check: () => void): boolean {
  try {
    check();
  } catch (error) {
    if (error instanceof ProofError) {
      return true;
    }
    throw error;
  }
  return false;
}

/** Collects the forgeries a verifier accepted, for one assertion at the end of an exhaustive loop. */
function forgeryLog(): { mustReject: (what: string, check: () => void) => void; forgeries: string[] } {
  const forgeries: string[] = [];
  return {
    forgeries,
    mustReject: (what, check) => {
      if (!rejected(check)) {
        forgeries.push(what);
      }
    },
  };
}

function b64(text: string): Buffer {
  return Buffer.from(text, 'base64');
}

// The leaves of the RFC 6962 reference tree (certificate-transparency test data), whose 8-leaf root
// and proofs also appear in the transparency-dev vectors below.
const REFERENCE_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((hex) => hashLeaf(Buffer.from(hex, 'hex')));

describe('hashing', () => {
  it('uses SHA-256 with the RFC 6962 domain separation prefixes', () => {
    const left = sha256(Buffer.from('l'));
    const right = sha256(Buffer.from('r'));
    expect(hashLeaf(Buffer.from('abc')).equals(sha256(Buffer.from([0]), Buffer.from('abc')))).toBe(true);
    expect(hashChildren(left, right).equals(sha256(Buffer.from([1]), left, right))).toBe(true);
    expect(hashLeaf(new Uint8Array()).toString('hex')).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
  });

  it('gives the empty tree the hash of the empty string', () => {
    expect(EMPTY_TREE_ROOT.toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(rootFromLeafHashes([]).equals(EMPTY_TREE_ROOT)).toBe(true);
  });

  it('rejects children that are not 32-byte hashes and leaves that are not bytes', () => {
    expect(() => hashChildren(Buffer.alloc(31), Buffer.alloc(32))).toThrow(RangeError);
    expect(() => hashChildren(Buffer.alloc(32), Buffer.alloc(33))).toThrow(RangeError);
    expect(() => hashLeaf('text' as unknown as Uint8Array)).toThrow(TypeError);
  });

  it('computes the same root as the recursive RFC definition for sizes 0..70', () => {
    const leaves = leafHashes(70);
    for (let size = 0; size <= 70; size++) {
      expect(rootFromLeafHashes(leaves.slice(0, size)).equals(referenceRoot(leaves.slice(0, size)))).toBe(true);
    }
  });

  it('reproduces the RFC 6962 reference tree and its published proofs', () => {
    const vector = (path: string) =>
      JSON.parse(readFileSync(join(VECTORS, path), 'utf8')) as { root?: string; root2?: string; proof: string[] };
    const inclusion = vector('inclusion/1/happy-path.json');
    const consistency = vector('consistency/1/happy-path.json');

    expect(rootFromLeafHashes(REFERENCE_LEAVES).toString('base64')).toBe(inclusion.root);
    expect(inclusionProof(REFERENCE_LEAVES, 0).map((node) => node.toString('base64'))).toEqual(inclusion.proof);
    expect(consistencyProof(REFERENCE_LEAVES, 1, 8).map((node) => node.toString('base64'))).toEqual(consistency.proof);
  });
});

describe('transparency-dev/merkle vectors', () => {
  function walk(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [relative(VECTORS, path)];
    });
  }

  const files = walk(VECTORS).sort();
  const inclusionFiles = files.filter((file) => file.startsWith(`inclusion${sep}`));
  const consistencyFiles = files.filter((file) => file.startsWith(`consistency${sep}`));
  const tested = new Set<string>();

  afterAll(() => {
    // Every file found was run through a verifier: a folder that stops matching fails here.
    expect([...tested].sort()).toEqual(files);
  });

  it('has every copied vector, in all four folders', () => {
    expect(files).toHaveLength(53);
    expect(inclusionFiles.length + consistencyFiles.length).toBe(files.length);
    for (const folder of ['inclusion/0', 'inclusion/1', 'consistency/0', 'consistency/1']) {
      expect(files.filter((file) => file.startsWith(`${folder.replace('/', sep)}${sep}`)).length).toBeGreaterThan(0);
    }
    expect(files.filter((file) => file.endsWith('happy-path.json'))).toHaveLength(4);
  });

  interface InclusionVector {
    leafIdx: number;
    treeSize: number;
    root: string;
    leafHash: string;
    proof: string[] | null;
    wantErr: boolean;
  }

  it.each(inclusionFiles)('inclusion %s', (file) => {
    const v = JSON.parse(readFileSync(join(VECTORS, file), 'utf8')) as InclusionVector;
    const check = () => verifyInclusion(v.leafIdx, v.treeSize, b64(v.leafHash), (v.proof ?? []).map(b64), b64(v.root));
    if (v.wantErr) {
      expect(check).toThrow(ProofError);
    } else {
      expect(check).not.toThrow();
    }
    tested.add(file);
  });

  interface ConsistencyVector {
    size1: number;
    size2: number;
    root1: string;
    root2: string;
    proof: string[] | null;
    wantErr: boolean;
  }

  it.each(consistencyFiles)('consistency %s', (file) => {
    const v = JSON.parse(readFileSync(join(VECTORS, file), 'utf8')) as ConsistencyVector;
    const check = () => verifyConsistency(v.size1, v.size2, (v.proof ?? []).map(b64), b64(v.root1), b64(v.root2));
    if (v.wantErr) {
      expect(check).toThrow(ProofError);
    } else {
      expect(check).not.toThrow();
    }
    tested.add(file);
  });
});

describe('inclusion proofs', () => {
  const leaves = leafHashes(70);
  const roots = Array.from({ length: 71 }, (_, size) => rootFromLeafHashes(leaves.slice(0, size)));

  it('verify for every leaf of every tree of size 1..70, and fail with any bit of a node flipped', () => {
    const { mustReject, forgeries } = forgeryLog();
    let checked = 0;
    for (let size = 1; size <= 70; size++) {
      const tree = leaves.slice(0, size);
      const root = roots[size] as Buffer;
      for (let index = 0; index < size; index++) {
        const leaf = tree[index] as Buffer;
        const proof = inclusionProof(tree, index);
        const where = `size ${size} index ${index}`;
        verifyInclusion(index, size, leaf, proof, root);
        // One bit per node, at a position that moves through all 256 across the loop.
        proof.forEach((node, n) => {
          const bad = proof.map((other, m) => (m === n ? flipBit(node, (index * 31 + n * 7 + size) % 256) : other));
            mustReject(`${where}: node ${n} flipped`, () => verifyInclusion(index, size, leaf, bad, root));
        });
        const badLeaf = flipBit(leaf, index % 256);
        const badRoot = flipBit(root, size % 256);
        mustReject(`${where}: leaf flipped`, () => verifyInclusion(index, size, badLeaf, proof, root));
        mustReject(`${where}: root flipped`, () => verifyInclusion(index, size, leaf, proof, badRoot));
        mustReject(`${where}: node appended`, () => verifyInclusion(index, size, leaf, [...proof, leaf], root));
        if (proof.length > 0) {
          mustReject(`${where}: node removed`, () => verifyInclusion(index, size, leaf, proof.slice(1), root));
        }
        if (proof.length > 1) {
          mustReject(`${where}: nodes reversed`, () => verifyInclusion(index, size, leaf, [...proof].reverse(), root));
        }
        for (const other of [index - 1, index + 1]) {
          if (other >= 0 && other < size) {
            mustReject(`${where}: claimed index ${other}`, () => verifyInclusion(other, size, leaf, proof, root));
          }
        }
        checked += 1;
      }
    }
    expect(checked).toBe((70 * 71) / 2);
    expect(forgeries).toEqual([]);
  });

  it('fail for every single bit flipped anywhere in one proof, leaf or root', () => {
    const { mustReject, forgeries } = forgeryLog();
    const size = 70;
    const index = 37;
    const leaf = leaves[index] as Buffer;
    const root = roots[size] as Buffer;
    const proof = inclusionProof(leaves.slice(0, size), index);
    for (let bit = 0; bit < 256; bit++) {
      proof.forEach((node, n) => {
        const bad = proof.map((other, m) => (m === n ? flipBit(node, bit) : other));
        mustReject(`bit ${bit}: node ${n} flipped`, () => verifyInclusion(index, size, leaf, bad, root));
      });
      mustReject(`bit ${bit}: leaf flipped`, () => verifyInclusion(index, size, flipBit(leaf, bit), proof, root));
      mustReject(`bit ${bit}: root flipped`, () => verifyInclusion(index, size, leaf, proof, flipBit(root, bit)));
    }
    expect(forgeries).toEqual([]);
  });

  it('treats sizes above 2^32 arithmetically', () => {
    // A tree of size 2^40 + 3: a perfect left subtree (root a) and a right subtree of three leaves.
    const [a, x0, x1, x2] = leafHashes(4, 'big') as [Buffer, Buffer, Buffer, Buffer];
    const root = hashChildren(a, hashChildren(hashChildren(x0, x1), x2));
    verifyInclusion(2 ** 40 + 1, 2 ** 40 + 3, x1, [x0, x2, a], root);
    verifyInclusion(2 ** 40 + 2, 2 ** 40 + 3, x2, [hashChildren(x0, x1), a], root);
    expect(() => verifyInclusion(2 ** 40 + 1 + 2 ** 32, 2 ** 40 + 3, x1, [x0, x2, a], root)).toThrow(ProofError);
    expect(() => verifyInclusion(2 ** 53 - 2, 2 ** 53 - 1, x1, [x0, x2, a], root)).toThrow(/expected/);
  });

  describe('treat every argument as hostile', () => {
    const proof = inclusionProof(leaves.slice(0, 5), 2);
    const leaf = leaves[2] as Buffer;
    const root = roots[5] as Buffer;

    it.each<[string, () => void, RegExp]>([
      ['size 0', () => verifyInclusion(0, 0, leaf, [], EMPTY_TREE_ROOT), /size 0/],
      ['index = size', () => verifyInclusion(5, 5, leaf, proof, root), /not below tree size/],
      ['negative index', () => verifyInclusion(-1, 5, leaf, proof, root), /leaf index/],
      ['fractional size', () => verifyInclusion(2, 5.5, leaf, proof, root), /tree size/],
      ['NaN index', () => verifyInclusion(NaN, 5, leaf, proof, root), /leaf index/],
      ['size 2^53', () => verifyInclusion(2, 2 ** 53, leaf, proof, root), /tree size/],
      ['size as a string', () => verifyInclusion(2, '5' as unknown as number, leaf, proof, root), /tree size/],
      ['short leaf hash', () => verifyInclusion(2, 5, leaf.subarray(1), proof, root), /leaf hash is 31 bytes/],
      ['long root', () => verifyInclusion(2, 5, leaf, proof, Buffer.concat([root, Buffer.alloc(1)])), /root is 33/],
      ['string root', () => verifyInclusion(2, 5, leaf, proof, 'root' as unknown as Uint8Array), /root/],
      ['proof not an array', () => verifyInclusion(2, 5, leaf, null as unknown as Uint8Array[], root), /not an array/],
      ['short proof node', () => verifyInclusion(2, 5, leaf, proof.map((n, i) => (i === 1 ? n.subarray(1) : n)), root), /node 1/],
      ['missing node', () => verifyInclusion(2, 5, leaf, proof.slice(0, 2), root), /2 nodes, expected 3/],
      ['extra node', () => verifyInclusion(2, 5, leaf, [...proof, root], root), /4 nodes, expected 3/],
      ['huge proof', () => verifyInclusion(2, 5, leaf, new Array<Buffer>(1e6).fill(leaf), root), /expected 3/],
    ])('%s', (_label, check, message) => {
      expect(check).toThrow(ProofError);
      expect(check).toThrow(message);
    });
  });

  it('generation rejects an index outside the tree', () => {
    expect(() => inclusionProof(leaves.slice(0, 3), 3)).toThrow(RangeError);
    expect(() => inclusionProof([], 0)).toThrow(RangeError);
    expect(() => inclusionProof([Buffer.alloc(31)], 0)).toThrow(RangeError);
  });
});

describe('consistency proofs', () => {
  const leaves = leafHashes(70);
  const roots = Array.from({ length: 71 }, (_, size) => rootFromLeafHashes(leaves.slice(0, size)));

  it('verify for every pair 0 ≤ m ≤ n ≤ 70, and fail with a node, root or size altered', () => {
    const { mustReject, forgeries } = forgeryLog();
    let checked = 0;
    for (let n = 1; n <= 70; n++) {
      const tree = leaves.slice(0, n);
      for (let m = 0; m <= n; m++) {
        const root1 = roots[m] as Buffer;
        const root2 = roots[n] as Buffer;
        const proof = consistencyProof(tree, m, n);
        verifyConsistency(m, n, proof, root1, root2);
        proof.forEach((node, i) => {
          const bad = proof.map((other, j) => (j === i ? flipBit(node, (m * 13 + n * 5 + i) % 256) : other));
          mustReject(`sizes ${m}→${n}: node ${i} flipped`, () => verifyConsistency(m, n, bad, root1, root2));
        });
        mustReject(`sizes ${m}→${n}: node appended`, () => verifyConsistency(m, n, [...proof, root1], root1, root2));
        mustReject(`sizes ${m}→${n}: root1 flipped`, () => verifyConsistency(m, n, proof, flipBit(root1, (m + n) % 256), root2));
        if (m > 0) {
          // Every tree extends the empty one, so root2 is only constrained from size1 1 on.
          mustReject(`sizes ${m}→${n}: root2 flipped`, () => verifyConsistency(m, n, proof, root1, flipBit(root2, (m + n) % 256)));
        }
        if (proof.length > 0) {
          mustReject(`sizes ${m}→${n}: node removed`, () => verifyConsistency(m, n, proof.slice(0, -1), root1, root2));
        }
        if (m > 0 && m < n) {
          mustReject(`sizes ${m}→${n}: roots swapped`, () => verifyConsistency(m, n, proof, root2, root1));
          mustReject(`sizes ${m}→${n}: size1 − 1`, () => verifyConsistency(m - 1, n, proof, roots[m - 1] as Buffer, root2));
        }
        checked += 1;
      }
    }
    expect(checked).toBe(2555); // Σ (n + 1) for n = 1..70
    expect(forgeries).toEqual([]);
  });

  it('fail for every single bit flipped anywhere in one proof or root', () => {
    const { mustReject, forgeries } = forgeryLog();
    const [m, n] = [23, 70];
    const proof = consistencyProof(leaves.slice(0, n), m, n);
    const [root1, root2] = [roots[m] as Buffer, roots[n] as Buffer];
    for (let bit = 0; bit < 256; bit++) {
      proof.forEach((node, i) => {
        const bad = proof.map((other, j) => (j === i ? flipBit(node, bit) : other));
        mustReject(`bit ${bit}: node ${i} flipped`, () => verifyConsistency(m, n, bad, root1, root2));
      });
      mustReject(`bit ${bit}: root1 flipped`, () => verifyConsistency(m, n, proof, flipBit(root1, bit), root2));
      mustReject(`bit ${bit}: root2 flipped`, () => verifyConsistency(m, n, proof, root1, flipBit(root2, bit)));
    }
    expect(forgeries).toEqual([]);
  });

  it('treats sizes above 2^32 arithmetically', () => {
    const [a, x] = leafHashes(2, 'big') as [Buffer, Buffer];
    verifyConsistency(2 ** 40, 2 ** 40 + 1, [x], a, hashChildren(a, x));
    expect(() => verifyConsistency(2 ** 40, 2 ** 40 + 1, [x], x, hashChildren(a, x))).toThrow(ProofError);
  });

  describe('treat every argument as hostile', () => {
    const proof = consistencyProof(leaves.slice(0, 7), 3, 7);
    const [r3, r7] = [roots[3] as Buffer, roots[7] as Buffer];

    it.each<[string, () => void, RegExp]>([
      ['size1 > size2', () => verifyConsistency(7, 3, proof, r7, r3), /larger than size2/],
      ['equal sizes with a proof', () => verifyConsistency(7, 7, proof, r7, r7), /expected 0/],
      ['equal sizes, different roots', () => verifyConsistency(7, 7, [], r7, r3), /different roots/],
      ['size1 0 with a proof', () => verifyConsistency(0, 7, proof, EMPTY_TREE_ROOT, r7), /expected 0/],
      ['size1 0 with a non-empty root1', () => verifyConsistency(0, 7, [], r3, r7), /empty tree/],
      ['empty proof', () => verifyConsistency(3, 7, [], r3, r7), /0 nodes/],
      ['negative size1', () => verifyConsistency(-3, 7, proof, r3, r7), /size1/],
      ['fractional size2', () => verifyConsistency(3, 7.5, proof, r3, r7), /size2/],
      ['size2 above 2^53', () => verifyConsistency(3, 2 ** 60, proof, r3, r7), /size2/],
      ['short root1', () => verifyConsistency(3, 7, proof, r3.subarray(0, 16), r7), /root1 is 16 bytes/],
      ['proof node not bytes', () => verifyConsistency(3, 7, proof.map(() => 'x' as unknown as Buffer), r3, r7), /node 0/],
    ])('%s', (_label, check, message) => {
      expect(check).toThrow(ProofError);
      expect(check).toThrow(message);
    });
  });

  it('generation rejects impossible sizes', () => {
    expect(() => consistencyProof(leaves.slice(0, 4), 5, 4)).toThrow(RangeError);
    expect(() => consistencyProof(leaves.slice(0, 4), 2, 5)).toThrow(RangeError);
    expect(() => consistencyProof(leaves.slice(0, 4), -1, 3)).toThrow(RangeError);
    expect(consistencyProof(leaves.slice(0, 4), 0, 4)).toEqual([]);
    expect(consistencyProof(leaves.slice(0, 4), 4, 4)).toEqual([]);
  });
});

describe('MerkleFrontier', () => {
  it('has the root of all leaves appended, for every size 0..300', () => {
    const leaves = leafHashes(300);
    const frontier = MerkleFrontier.empty();
    for (let size = 0; size <= 300; size++) {
      expect(frontier.size).toBe(size);
      expect(frontier.root().equals(rootFromLeafHashes(leaves.slice(0, size)))).toBe(true);
      // One stored hash per set bit of the size: O(log n) memory.
      expect(frontier.toJSON().hashes).toHaveLength(size.toString(2).split('1').length - 1);
      if (size < 300) {
        frontier.append(leaves[size] as Buffer);
      }
    }
  });

  it('round-trips through JSON text and parsed objects, and keeps growing identically', () => {
    const leaves = leafHashes(100);
    const original = MerkleFrontier.empty();
    leaves.slice(0, 77).forEach((leaf) => original.append(leaf));
    const fromText = MerkleFrontier.fromJSON(JSON.stringify(original));
    const fromObject = MerkleFrontier.fromJSON(JSON.parse(JSON.stringify(original)));
    for (const restored of [fromText, fromObject]) {
      expect(restored.size).toBe(77);
      expect(restored.root().equals(original.root())).toBe(true);
      leaves.slice(77).forEach((leaf) => restored.append(leaf));
      expect(restored.root().equals(rootFromLeafHashes(leaves))).toBe(true);
    }
    expect(original.size).toBe(77);
  });

  it('serializes as {size, hashes: base64[]}', () => {
    const frontier = MerkleFrontier.empty();
    expect(frontier.toJSON()).toEqual({ size: 0, hashes: [] });
    REFERENCE_LEAVES.slice(0, 3).forEach((leaf) => frontier.append(leaf));
    expect(frontier.toJSON()).toEqual({
      size: 3,
      hashes: [
        hashChildren(REFERENCE_LEAVES[0] as Buffer, REFERENCE_LEAVES[1] as Buffer).toString('base64'),
        (REFERENCE_LEAVES[2] as Buffer).toString('base64'),
      ],
    });
  });

  it('clones independently and is not affected by later changes to appended buffers', () => {
    const leaf = Buffer.from(leafHashes(1)[0] as Buffer);
    const frontier = MerkleFrontier.empty();
    frontier.append(leaf);
    const rootBefore = frontier.root();
    leaf.fill(0);
    frontier.root().fill(0);
    expect(frontier.root().equals(rootBefore)).toBe(true);
    const copy = frontier.clone();
    copy.append(leaf);
    expect(frontier.size).toBe(1);
    expect(copy.size).toBe(2);
  });

  it.each<[string, unknown]>([
    ['invalid JSON text', '{size: 1'],
    ['not an object', 5],
    ['null', null],
    ['negative size', { size: -1, hashes: [] }],
    ['fractional size', { size: 1.5, hashes: [] }],
    ['size as a string', { size: '1', hashes: [EMPTY_TREE_ROOT.toString('base64')] }],
    ['size above 2^53', { size: 2 ** 53, hashes: [] }],
    ['too few hashes', { size: 3, hashes: [EMPTY_TREE_ROOT.toString('base64')] }],
    ['too many hashes', { size: 4, hashes: [EMPTY_TREE_ROOT.toString('base64'), EMPTY_TREE_ROOT.toString('base64')] }],
    ['hashes not an array', { size: 1, hashes: EMPTY_TREE_ROOT.toString('base64') }],
    ['short hash', { size: 1, hashes: [Buffer.alloc(31).toString('base64')] }],
    ['unpadded base64', { size: 1, hashes: [EMPTY_TREE_ROOT.toString('base64').replace('=', '')] }],
    ['base64url', { size: 1, hashes: [Buffer.alloc(32, 0xff).toString('base64url') + '='] }],
    ['non-string hash', { size: 1, hashes: [42] }],
  ])('fromJSON rejects %s', (_label, input) => {
    expect(() => MerkleFrontier.fromJSON(input)).toThrow(RangeError);
  });

  it('rejects leaf hashes that are not 32 bytes', () => {
    expect(() => MerkleFrontier.empty().append(Buffer.alloc(31))).toThrow(RangeError);
    expect(() => MerkleFrontier.empty().append('x' as unknown as Uint8Array)).toThrow(RangeError);
  });

  it('agrees with rootFromLeafHashes on a larger tree (correctness micro-check, not a timing test)', () => {
    const leaves = leafHashes(20_000, 'bulk');
    const frontier = MerkleFrontier.empty();
    leaves.forEach((leaf) => frontier.append(leaf));
    expect(frontier.root().equals(rootFromLeafHashes(leaves))).toBe(true);
    expect(frontier.toJSON().hashes).toHaveLength(5); // 20000 = 0b100111000100000
  });
});
