import { randomBytes } from 'node:crypto';

/**
 * UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits; sortable by creation time. The clock is
 * an input so callers and tests control it.
 */
export function uuidv7(now: Date = new Date(), random: Buffer = randomBytes(10)): string {
  const ms = BigInt(now.getTime());
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(Number(ms >> 16n), 0, 4);
  bytes.writeUInt16BE(Number(ms & 0xffffn), 4);
  random.copy(bytes, 6, 0, 10);
  bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
