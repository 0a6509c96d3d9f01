import { createHash } from 'node:crypto';

import { CHAIN_DOMAIN, GENESIS_PREV_HASH, chainHash } from './chain';

const PREV = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const LEAF = Buffer.from(Array.from({ length: 32 }, (_, i) => 32 + i));

describe('chainHash', () => {
  it('starts from 32 zero bytes', () => {
    expect(GENESIS_PREV_HASH.equals(Buffer.alloc(32))).toBe(true);
    expect(CHAIN_DOMAIN).toBe('audit-ledger:chain:v1');
  });

  // Known answers computed independently (Python hashlib, int.to_bytes(8, 'big')).
  it.each([
    [
      GENESIS_PREV_HASH,
      '91f3a50679b265b3c035bbcdbf4d6e3d9919c57f3a2a29fc51d19a5191fc8a53',
      1,
      '27144215dd76de4d58ec6808b17976cffbcf4633dbb2d3e70a5ca238d6329ef5',
    ],
    [PREV, LEAF.toString('hex'), 2 ** 32 + 5, '231993e48716166333f4799efe46d62843e6ef4e4562b9214db003335a946532'],
    [PREV, LEAF.toString('hex'), 2 ** 53 - 1, '5fe4f59f701834a3630738ba086259a56391d874973d1382c142797f3015594c'],
  ])('is SHA-256(domain ‖ prevHash ‖ leafHash ‖ uint64be(seq)) — known answer %#', (prev, leafHex, seq, expected) => {
    expect(chainHash(prev, Buffer.from(leafHex, 'hex'), seq).toString('hex')).toBe(expected);
  });

  it('hashes exactly 93 bytes laid out as documented', () => {
    const seq = 123_456_789_012;
    const seqBytes = Buffer.alloc(8);
    seqBytes.writeBigUInt64BE(BigInt(seq));
    const input = Buffer.concat([Buffer.from(CHAIN_DOMAIN, 'ascii'), PREV, LEAF, seqBytes]);
    expect(input).toHaveLength(93);
    expect(chainHash(PREV, LEAF, seq).equals(createHash('sha256').update(input).digest())).toBe(true);
  });

  it('accepts plain Uint8Arrays', () => {
    expect(chainHash(new Uint8Array(PREV), new Uint8Array(LEAF), 7).equals(chainHash(PREV, LEAF, 7))).toBe(true);
  });

  it.each<[string, () => Buffer]>([
    ['a short prevHash', () => chainHash(PREV.subarray(1), LEAF, 1)],
    ['a long leafHash', () => chainHash(PREV, Buffer.concat([LEAF, Buffer.alloc(1)]), 1)],
    ['a string prevHash', () => chainHash(PREV.toString('hex') as unknown as Uint8Array, LEAF, 1)],
    ['seq 0', () => chainHash(PREV, LEAF, 0)],
    ['a negative seq', () => chainHash(PREV, LEAF, -1)],
    ['a fractional seq', () => chainHash(PREV, LEAF, 2.5)],
    ['seq 2^53', () => chainHash(PREV, LEAF, 2 ** 53)],
  ])('refuses %s', (_label, call) => {
    expect(call).toThrow(RangeError);
  });
});
