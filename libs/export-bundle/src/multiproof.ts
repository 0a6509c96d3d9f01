/**
 * A compact Merkle multi-proof: one proof that many leaves (any subset, in index order) are in the
 * RFC 9162 tree of a given size with a given root. It lists, level by level, only the sibling nodes the
 * verifier cannot compute from the exported leaves themselves — about 2·log2(n) nodes for a contiguous
 * range instead of one audit path (log2(n) nodes) per leaf.
 *
 * Tree layout: level 0 holds the leaf hashes; level L+1 pairs level L's nodes (2i, 2i+1) and carries a
 * last, unpaired node up unchanged. This is exactly the tree of RFC 9162 §2.1.1 (split at the largest
 * power of two), so node (L, i) is the root of leaves [i·2^L, min((i+1)·2^L, n)).
 */
import { createHash } from 'node:crypto';

const HASH = 32;
const NODE_PREFIX = Buffer.from([0x01]);

export interface ProofNode {
  level: number;
  index: number;
  hash: Buffer;
}

export class MultiProofError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MultiProofError';
  }
}

function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** The next level up of a level held as consecutive 32-byte hashes. */
function parentLevel(level: Buffer): Buffer {
  const count = level.length / HASH;
  const parents = Math.ceil(count / 2);
  const out = Buffer.allocUnsafe(parents * HASH);
  for (let i = 0; i + 1 < count; i += 2) {
    nodeHash(level.subarray(i * HASH, (i + 1) * HASH), level.subarray((i + 1) * HASH, (i + 2) * HASH)).copy(out, (i / 2) * HASH);
  }
  if (count % 2 === 1) level.copy(out, (parents - 1) * HASH, (count - 1) * HASH, count * HASH);
  return out;
}

/**
 * Builds the multi-proof for the leaves at `indices` (strictly increasing) in the tree whose leaf
 * hashes are `leaves` (n·32 bytes, leaf i at offset 32·i). Memory: about twice the leaves buffer.
 */
export function buildMultiProof(leaves: Buffer, indices: ArrayLike<number>): { root: Buffer; nodes: ProofNode[] } {
  if (leaves.length % HASH !== 0 || leaves.length === 0) throw new RangeError('leaves must be a non-empty multiple of 32 bytes');
  let len = leaves.length / HASH;
  let known: number[] = Array.from(indices);
  for (let j = 0; j < known.length; j++) {
    const i = known[j] as number;
    if (!Number.isSafeInteger(i) || i < 0 || i >= len || (j > 0 && i <= (known[j - 1] as number))) {
      throw new RangeError(`leaf indices must be strictly increasing and below ${len} (at position ${j}: ${i})`);
    }
  }
  const nodes: ProofNode[] = [];
  let level = 0;
  let hashes = leaves;
  while (len > 1) {
    const next: number[] = [];
    for (let j = 0; j < known.length; j++) {
      const i = known[j] as number;
      if (i % 2 === 0) {
        if (known[j + 1] === i + 1) j++;
        else if (i + 1 < len) nodes.push({ level, index: i + 1, hash: Buffer.from(hashes.subarray((i + 1) * HASH, (i + 2) * HASH)) });
      } else {
        nodes.push({ level, index: i - 1, hash: Buffer.from(hashes.subarray((i - 1) * HASH, i * HASH)) });
      }
      next.push(Math.floor(i / 2));
    }
    known = next;
    hashes = parentLevel(hashes);
    len = Math.ceil(len / 2);
    level++;
  }
  return { root: Buffer.from(hashes.subarray(0, HASH)), nodes };
}

/**
 * Checks that the leaves with hashes `leafHashes` (k·32 bytes) at `indices` (strictly increasing) are in
 * the tree of `treeSize` leaves with root `root`, given the proof `nodes` (sorted by level, then
 * index). Every input is hostile: a missing, duplicated, superfluous or out-of-order node is refused,
 * as is a node that the exported leaves already determine.
 * @throws MultiProofError saying what is wrong.
 */
export function verifyMultiProof(treeSize: number, root: Uint8Array, indices: ArrayLike<number>, leafHashes: Buffer, nodes: readonly ProofNode[]): void {
  if (!Number.isSafeInteger(treeSize) || treeSize < 1) throw new MultiProofError(`tree size ${treeSize} is not a positive integer`);
  if (root.length !== HASH) throw new MultiProofError('root is not 32 bytes');
  const k = indices.length;
  if (leafHashes.length !== k * HASH) throw new MultiProofError('one 32-byte leaf hash per index is needed');
  if (k === 0) {
    if (nodes.length > 0) throw new MultiProofError('a proof for no leaves must be empty');
    return;
  }
  let curIdx: number[] = [];
  let curHash: Buffer[] = [];
  for (let j = 0; j < k; j++) {
    const i = indices[j] as number;
    if (!Number.isSafeInteger(i) || i < 0 || i >= treeSize) throw new MultiProofError(`leaf index ${i} is not in a tree of size ${treeSize}`);
    if (j > 0 && i <= (indices[j - 1] as number)) throw new MultiProofError(`leaf index ${i} is not after ${indices[j - 1]}`);
    curIdx.push(i);
    curHash.push(leafHashes.subarray(j * HASH, (j + 1) * HASH));
  }
  let curProof: boolean[] = new Array<boolean>(k).fill(false);
  let n = 0;
  let len = treeSize;
  for (let level = 0; len > 1; level++) {
    // Merge this level's proof nodes into the known nodes, by index.
    const mIdx: number[] = [];
    const mHash: Buffer[] = [];
    const mProof: boolean[] = [];
    let a = 0;
    let previous = -1;
    while (a < curIdx.length || (n < nodes.length && (nodes[n] as ProofNode).level === level)) {
      const node = n < nodes.length && (nodes[n] as ProofNode).level === level ? (nodes[n] as ProofNode) : undefined;
      const takeNode = node !== undefined && (a >= curIdx.length || node.index < (curIdx[a] as number));
      if (node !== undefined && a < curIdx.length && node.index === curIdx[a]) {
        throw new MultiProofError(`proof node (${level}, ${node.index}) is already determined by the exported records`);
      }
      const index = takeNode ? (node as ProofNode).index : (curIdx[a] as number);
      if (index <= previous || index >= len) throw new MultiProofError(`proof node (${level}, ${index}) is out of order or outside the tree`);
      previous = index;
      if (takeNode) {
        if ((node as ProofNode).hash.length !== HASH) throw new MultiProofError(`proof node (${level}, ${index}) is not 32 bytes`);
        mIdx.push(index);
        mHash.push((node as ProofNode).hash);
        mProof.push(true);
        n++;
      } else {
        mIdx.push(index);
        mHash.push(curHash[a] as Buffer);
        mProof.push(curProof[a] as boolean);
        a++;
      }
    }
    const nextIdx: number[] = [];
    const nextHash: Buffer[] = [];
    const nextProof: boolean[] = [];
    for (let j = 0; j < mIdx.length; j++) {
      const i = mIdx[j] as number;
      if (i % 2 === 0 && mIdx[j + 1] === i + 1) {
        if (mProof[j] && mProof[j + 1]) throw new MultiProofError(`proof nodes (${level}, ${i}) and (${level}, ${i + 1}) are both superfluous`);
        nextHash.push(nodeHash(mHash[j] as Buffer, mHash[j + 1] as Buffer));
        nextProof.push(false);
        j++;
      } else if (i % 2 === 0 && i === len - 1) {
        if (mProof[j]) throw new MultiProofError(`proof node (${level}, ${i}) is superfluous`);
        nextHash.push(mHash[j] as Buffer);
        nextProof.push(false);
      } else {
        throw new MultiProofError(`the proof lacks the sibling of node (${level}, ${i})`);
      }
      nextIdx.push(Math.floor(i / 2));
    }
    curIdx = nextIdx;
    curHash = nextHash;
    curProof = nextProof;
    len = Math.ceil(len / 2);
  }
  if (n !== nodes.length) throw new MultiProofError(`the proof has ${nodes.length - n} node(s) it does not use`);
  if (!(curHash[0] as Buffer).equals(Buffer.from(root))) throw new MultiProofError(`the records and proof do not lead to the checkpoint's root of size ${treeSize}`);
}
