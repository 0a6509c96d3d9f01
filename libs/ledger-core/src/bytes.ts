/** Byte and text helpers shared by the modules of this library. Not part of the public API. */

/** Size in bytes of every hash in this library (SHA-256). */
export const HASH_SIZE = 32;

export function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

/** Views a Uint8Array as a Buffer without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function isHash(value: unknown): value is Uint8Array {
  return isBytes(value) && value.byteLength === HASH_SIZE;
}

// Standard alphabet, padded. Buffer.from(…, 'base64') would silently skip anything else.
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes standard padded base64 (RFC 4648 §4), returning undefined unless `text` is the one
 * canonical encoding of its bytes (so non-zero padding bits, URL-safe letters, whitespace and missing
 * padding are all rejected).
 */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (!BASE64_PATTERN.test(text)) {
    return undefined;
  }
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

/** Number of set bits of a non-negative safe integer (works above 2^32, unlike bitwise operators). */
export function popCount(value: number): number {
  let count = 0;
  for (let rest = value; rest > 0; rest = Math.floor(rest / 2)) {
    count += rest % 2;
  }
  return count;
}

// A high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `text` is not well-formed UTF-16, i.e. has no UTF-8 encoding. */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}
