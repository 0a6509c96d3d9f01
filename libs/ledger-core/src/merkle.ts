/**
 * Merkle tree hashing and proofs of RFC 6962 / RFC 9162 §2.1 (SHA-256), plus `MerkleFrontier`, the
 * incremental form the ledger writer keeps so it never needs all leaves in memory.
 *
 * Sizes and indexes are JavaScript numbers limited to safe integers (< 2^53); bit operations are done
 * arithmetically because `>>` and `&` truncate to 32 bits.
 */
import { createHash } from 'node:crypto';

import { HASH_SIZE, asBuffer, decodeBase64Strict, isBytes, isHash, popCount } from './bytes';

export { HASH_SIZE };

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);
const EMPTY_ROOT = createHash('sha256').digest();

/** Root of the tree of size 0: SHA-256 of the empty string. A copy; mutating it changes nothing here. */
export const EMPTY_TREE_ROOT: Buffer = Buffer.from(EMPTY_ROOT);

/** A proof, or the sizes/hashes given with it, failed verification. The message says why. */
export class ProofError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProofError';
  }
}

/** Leaf hash: SHA-256(0x00 ‖ data). */
export function hashLeaf(data: Uint8Array): Buffer {
  if (!isBytes(data)) {
    throw new TypeError('leaf data must be a Uint8Array');
  }
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

/** Interior node hash: SHA-256(0x01 ‖ left ‖ right), each child a 32-byte hash. */
export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  if (!isHash(left) || !isHash(right)) {
    throw new RangeError(`child hashes must be ${HASH_SIZE}-byte Uint8Arrays`);
  }
  return nodeHash(left, right);
}

function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** The Merkle Tree Hash (RFC 9162 §2.1.1) of the leaves with the given leaf hashes. */
export function rootFromLeafHashes(leafHashes: readonly Uint8Array[]): Buffer {
  return subtreeRoot(checkLeafHashes(leafHashes), 0, leafHashes.length);
}

/** Audit path (RFC 9162 §2.1.3.1) for leaf `index` in the tree of all `leafHashes`, leaf side first. */
export function inclusionProof(leafHashes: readonly Uint8Array[], index: number): Buffer[] {
  const hashes = checkLeafHashes(leafHashes);
  if (!Number.isSafeInteger(index) || index < 0 || index >= hashes.length) {
    throw new RangeError(`leaf index ${String(index)} is not in a tree of size ${hashes.length}`);
  }
  const proof: Buffer[] = [];
  auditPath(hashes, index, 0, hashes.length, proof);
  return proof;
}

/**
 * Consistency proof (RFC 9162 §2.1.4.1) that the tree of the first `size1` leaves is a prefix of the
 * tree of the first `size2` leaves. Empty when `size1` is 0 or equals `size2`.
 */
export function consistencyProof(leafHashes: readonly Uint8Array[], size1: number, size2: number): Buffer[] {
  const hashes = checkLeafHashes(leafHashes);
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0 || size1 > size2) {
    throw new RangeError(`sizes ${String(size1)} → ${String(size2)} are not 0 ≤ size1 ≤ size2`);
  }
  if (size2 > hashes.length) {
    throw new RangeError(`size2 ${size2} is larger than the ${hashes.length} leaves given`);
  }
  const proof: Buffer[] = [];
  if (size1 > 0 && size1 < size2) {
    subproof(hashes, size1, 0, size2, true, proof);
  }
  return proof;
}

/**
 * Checks that `proof` proves the leaf with hash `leafHash` sits at `leafIndex` in the tree of size
 * `treeSize` whose root is `root` (RFC 9162 §2.1.3.2). Every argument is treated as hostile.
 * @throws ProofError saying what is wrong.
 */
export function verifyInclusion(
  leafIndex: number,
  treeSize: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkSize('tree size', treeSize);
  checkSize('leaf index', leafIndex);
  if (treeSize === 0) {
    throw new ProofError('a tree of size 0 has no leaves');
  }
  if (leafIndex >= treeSize) {
    throw new ProofError(`leaf index ${leafIndex} is not below tree size ${treeSize}`);
  }
  const leaf = checkHash('leaf hash', leafHash);
  const expectedRoot = checkHash('root', root);
  const path = checkProof(proof, inclusionProofLength(leafIndex, treeSize));

  let fn = leafIndex;
  let sn = treeSize - 1;
  let hash = leaf;
  for (const sibling of path) {
    if (fn % 2 === 1 || fn === sn) {
      hash = nodeHash(sibling, hash);
      // Skip the levels where this node has no right sibling (the right border of the tree).
      while (fn % 2 === 0 && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      hash = nodeHash(hash, sibling);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (!hash.equals(expectedRoot)) {
    throw new ProofError(`inclusion proof for leaf ${leafIndex} does not lead to the given root of size ${treeSize}`);
  }
}

/**
 * Checks that `proof` proves the tree of size `size1` with root `root1` is a prefix of the tree of size
 * `size2` with root `root2` (RFC 9162 §2.1.4.2). Equal sizes need an empty proof and equal roots; size1
 * 0 needs an empty proof and root1 equal to the empty tree's root. Every argument is treated as hostile.
 * @throws ProofError saying what is wrong.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  checkSize('size1', size1);
  checkSize('size2', size2);
  if (size1 > size2) {
    throw new ProofError(`size1 ${size1} is larger than size2 ${size2}`);
  }
  const first = checkHash('root1', root1);
  const second = checkHash('root2', root2);
  if (size1 === size2 || size1 === 0) {
    checkProof(proof, 0);
    if (size1 === 0 && !first.equals(EMPTY_ROOT)) {
      throw new ProofError('root1 is not the root of the empty tree');
    }
    if (size1 === size2 && !first.equals(second)) {
      throw new ProofError(`trees of equal size ${size1} have different roots`);
    }
    return;
  }
  const path = checkProof(proof, consistencyProofLength(size1, size2));

  let fn = size1 - 1;
  let sn = size2 - 1;
  // The proof starts at the largest complete subtree on the right border of the first tree.
  while (fn % 2 === 1) {
    fn = half(fn);
    sn = half(sn);
  }
  // When size1 is a power of two that subtree is the whole first tree, whose root the caller holds.
  const seed = isPowerOfTwo(size1) ? first : (path[0] as Buffer);
  let firstHash = seed;
  let secondHash = seed;
  for (let i = isPowerOfTwo(size1) ? 0 : 1; i < path.length; i++) {
    const node = path[i] as Buffer;
    if (fn % 2 === 1 || fn === sn) {
      firstHash = nodeHash(node, firstHash);
      secondHash = nodeHash(node, secondHash);
      while (fn % 2 === 0 && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      secondHash = nodeHash(secondHash, node);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (!firstHash.equals(first)) {
    throw new ProofError(`consistency proof does not reproduce root1 of size ${size1}`);
  }
  if (!secondHash.equals(second)) {
    throw new ProofError(`consistency proof does not lead to root2 of size ${size2}`);
  }
}

/** Serialized `MerkleFrontier`: the tree size and its right-border subtree roots, largest first. */
export interface MerkleFrontierJSON {
  readonly size: number;
  readonly hashes: readonly string[];
}

/**
 * The compact range [0, size) of an append-only Merkle tree: one root per set bit of `size`, for the
 * perfect subtrees along the right border, largest (leftmost) first. O(log n) memory; appending costs
 * amortized O(1) hashes; `root()` equals `rootFromLeafHashes` of every leaf appended.
 */
export class MerkleFrontier {
  private constructor(
    private treeSize: number,
    private readonly border: Buffer[],
  ) {}

  static empty(): MerkleFrontier {
    return new MerkleFrontier(0, []);
  }

  /**
   * Restores a frontier from `toJSON()` output, given as JSON text or as the parsed object (e.g. a
   * jsonb column). Validates everything: the size, one hash per set bit of it, canonical base64.
   * @throws RangeError when the input is not a valid frontier.
   */
  static fromJSON(input: unknown): MerkleFrontier {
    let value: unknown = input;
    if (typeof input === 'string') {
      try {
        value = JSON.parse(input) as unknown;
      } catch {
        throw new RangeError('merkle frontier is not valid JSON');
      }
    }
    if (typeof value !== 'object' || value === null) {
      throw new RangeError('merkle frontier must be an object {size, hashes}');
    }
    const { size, hashes } = value as { size?: unknown; hashes?: unknown };
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw new RangeError('merkle frontier size must be a non-negative safe integer');
    }
    if (!Array.isArray(hashes) || hashes.length !== popCount(size)) {
      throw new RangeError(`merkle frontier of size ${size} must have exactly ${popCount(size)} hashes`);
    }
    const border = hashes.map((text: unknown, index) => {
      const hash = typeof text === 'string' ? decodeBase64Strict(text) : undefined;
      if (hash === undefined || hash.length !== HASH_SIZE) {
        throw new RangeError(`merkle frontier hash ${index} is not base64 of ${HASH_SIZE} bytes`);
      }
      return hash;
    });
    return new MerkleFrontier(size, border);
  }

  get size(): number {
    return this.treeSize;
  }

  append(leafHash: Uint8Array): void {
    if (!isHash(leafHash)) {
      throw new RangeError(`leaf hash must be a ${HASH_SIZE}-byte Uint8Array`);
    }
    if (this.treeSize === Number.MAX_SAFE_INTEGER) {
      throw new RangeError('merkle frontier is full');
    }
    // Like binary increment: each trailing 1 bit of the size is a subtree that merges with the new one.
    let node: Buffer = Buffer.from(leafHash);
    for (let size = this.treeSize; size % 2 === 1; size = half(size)) {
      node = nodeHash(this.border.pop() as Buffer, node);
    }
    this.border.push(node);
    this.treeSize += 1;
  }

  root(): Buffer {
    let index = this.border.length - 1;
    let root = this.border[index];
    if (root === undefined) {
      return Buffer.from(EMPTY_ROOT);
    }
    for (index -= 1; index >= 0; index--) {
      root = nodeHash(this.border[index] as Buffer, root);
    }
    return Buffer.from(root);
  }

  clone(): MerkleFrontier {
    return new MerkleFrontier(this.treeSize, [...this.border]);
  }

  toJSON(): MerkleFrontierJSON {
    return { size: this.treeSize, hashes: this.border.map((hash) => hash.toString('base64')) };
  }
}

function half(value: number): number {
  return Math.floor(value / 2);
}

function isPowerOfTwo(value: number): boolean {
  return value > 0 && popCount(value) === 1;
}

/** Largest power of two strictly below `size` (size ≥ 2): the split point k of RFC 9162 §2.1.1. */
function splitPoint(size: number): number {
  let k = 1;
  while (k * 2 < size) {
    k *= 2;
  }
  return k;
}

/** Number of nodes in the audit path of `index` in a tree of `size`. */
function inclusionProofLength(index: number, size: number): number {
  // Levels below the point where the paths to `index` and to the last leaf meet, plus one sibling per
  // left child on the remaining shared path (the set bits of index shifted by those levels).
  let fn = index;
  let sn = size - 1;
  let inner = 0;
  while (fn !== sn) {
    fn = half(fn);
    sn = half(sn);
    inner += 1;
  }
  return inner + popCount(fn);
}

/** Number of nodes in the consistency proof between sizes 0 < size1 < size2. */
function consistencyProofLength(size1: number, size2: number): number {
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = half(fn);
    sn = half(sn);
  }
  return (isPowerOfTwo(size1) ? 0 : 1) + inclusionProofLength(fn, sn + 1);
}

function subtreeRoot(hashes: readonly Buffer[], start: number, end: number): Buffer {
  if (end === start) {
    return Buffer.from(EMPTY_ROOT);
  }
  // Pairing level by level and carrying an odd last node up unchanged gives the same tree as the
  // recursive split at the largest power of two.
  let level = hashes.slice(start, end);
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) {
      next.push(nodeHash(level[i] as Buffer, level[i + 1] as Buffer));
    }
    if (level.length % 2 === 1) {
      next.push(level[level.length - 1] as Buffer);
    }
    level = next;
  }
  return Buffer.from(level[0] as Buffer);
}

function auditPath(hashes: readonly Buffer[], index: number, start: number, end: number, proof: Buffer[]): void {
  const size = end - start;
  if (size <= 1) {
    return;
  }
  const k = splitPoint(size);
  if (index < k) {
    auditPath(hashes, index, start, start + k, proof);
    proof.push(subtreeRoot(hashes, start + k, end));
  } else {
    auditPath(hashes, index - k, start + k, end, proof);
    proof.push(subtreeRoot(hashes, start, start + k));
  }
}

function subproof(
  hashes: readonly Buffer[],
  size1: number,
  start: number,
  end: number,
  wholeFirstTree: boolean,
  proof: Buffer[],
): void {
  const size = end - start;
  if (size1 === size) {
    if (!wholeFirstTree) {
      proof.push(subtreeRoot(hashes, start, end));
    }
    return;
  }
  const k = splitPoint(size);
  if (size1 <= k) {
    subproof(hashes, size1, start, start + k, wholeFirstTree, proof);
    proof.push(subtreeRoot(hashes, start + k, end));
  } else {
    subproof(hashes, size1 - k, start + k, end, false, proof);
    proof.push(subtreeRoot(hashes, start, start + k));
  }
}

function checkLeafHashes(leafHashes: readonly Uint8Array[]): Buffer[] {
  if (!Array.isArray(leafHashes)) {
    throw new TypeError('leaf hashes must be an array');
  }
  return leafHashes.map((hash, index) => {
    if (!isHash(hash)) {
      throw new RangeError(`leaf hash ${index} is not ${HASH_SIZE} bytes`);
    }
    return asBuffer(hash);
  });
}

function checkSize(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ProofError(`${name} ${String(value)} is not an integer in [0, 2^53)`);
  }
}

function checkHash(name: string, value: Uint8Array): Buffer {
  if (!isBytes(value)) {
    throw new ProofError(`${name} is not a byte array`);
  }
  if (value.byteLength !== HASH_SIZE) {
    throw new ProofError(`${name} is ${value.byteLength} bytes, not ${HASH_SIZE}`);
  }
  return asBuffer(value);
}

function checkProof(proof: readonly Uint8Array[], expectedLength: number): Buffer[] {
  if (!Array.isArray(proof)) {
    throw new ProofError('proof is not an array');
  }
  if (proof.length !== expectedLength) {
    throw new ProofError(`proof has ${proof.length} nodes, expected ${expectedLength}`);
  }
  return proof.map((node, index) => checkHash(`proof node ${index}`, node));
}
