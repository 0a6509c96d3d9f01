/**
 * The per-tenant hash chain: each record's `hash` commits to the previous record's `hash`, its own
 * leaf hash and its `seq`, so deleting, inserting or reordering records breaks every later link.
 */
import { createHash } from 'node:crypto';

import { HASH_SIZE, isHash } from './bytes';
import { isSeq } from './record';

/** Domain separator, so a chain hash can never be confused with a leaf or node hash. */
export const CHAIN_DOMAIN = 'audit-ledger:chain:v1';

const DOMAIN_BYTES = Buffer.from(CHAIN_DOMAIN, 'ascii');

/** `prevHash` of the record with seq 1: 32 zero bytes. */
export const GENESIS_PREV_HASH: Buffer = Buffer.alloc(HASH_SIZE);

/**
 * SHA-256("audit-ledger:chain:v1" ‖ prevHash ‖ leafHash ‖ uint64be(seq)); 21 + 32 + 32 + 8 = 93 bytes in.
 * @throws RangeError when a hash is not 32 bytes or seq is not an integer in [1, 2^53).
 */
export function chainHash(prevHash: Uint8Array, leafHash: Uint8Array, seq: number): Buffer {
  if (!isHash(prevHash)) {
    throw new RangeError(`prevHash must be ${HASH_SIZE} bytes`);
  }
  if (!isHash(leafHash)) {
    throw new RangeError(`leafHash must be ${HASH_SIZE} bytes`);
  }
  if (!isSeq(seq)) {
    throw new RangeError(`seq ${String(seq)} is not an integer ≥ 1`);
  }
  const seqBytes = Buffer.allocUnsafe(8);
  seqBytes.writeUInt32BE(Math.floor(seq / 2 ** 32), 0);
  seqBytes.writeUInt32BE(seq % 2 ** 32, 4);
  return createHash('sha256').update(DOMAIN_BYTES).update(prevHash).update(leafHash).update(seqBytes).digest();
}

