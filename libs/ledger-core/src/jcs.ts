/**
 * RFC 8785 JSON Canonicalization Scheme (JCS).
 *
 * Accepts only what survives a JSON round trip unchanged: null, booleans, finite numbers, well-formed
 * strings, arrays and plain objects. Anything JSON.stringify would drop or rewrite silently (undefined,
 * functions, symbols, bigint, NaN, Infinity, Dates, Buffers, class instances, cycles, lone surrogates)
 * is rejected with a `JcsError` naming where it was found, because a hash over a silently rewritten
 * value would not be the hash of what the caller holds.
 */
import { hasLoneSurrogate } from './bytes';

export class JcsError extends Error {
  /** JSONPath-like location of the offending value, e.g. `$.details.items[2]`. */
  readonly path: string;

  constructor(reason: string, path: string) {
    super(`cannot canonicalize ${path}: ${reason}`);
    this.name = 'JcsError';
    this.path = path;
  }
}

interface Walk {
  /** Keys and indexes from the root to the value being serialized; read only when reporting errors. */
  readonly path: (string | number)[];
  /** Objects and arrays currently being serialized, to detect cycles. */
  readonly open: Set<object>;
}

/** The RFC 8785 canonical JSON text of `value`. */
export function canonicalize(value: unknown): string {
  return serialize(value, { path: [], open: new Set() });
}

/** UTF-8 bytes of `canonicalize(value)`. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}

function serialize(value: unknown, walk: Walk): string {
  switch (typeof value) {
    case 'string':
      return serializeString(value, walk);
    case 'number':
      if (!Number.isFinite(value)) {
        throw fail(walk, `${String(value)} is not a JSON number`);
      }
      // RFC 8785 §3.2.2.3 adopts ECMAScript Number::toString, which String() implements (-0 → "0").
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) {
        return 'null';
      }
      return Array.isArray(value) ? serializeArray(value, walk) : serializeObject(value, walk);
    default:
      throw fail(walk, `${typeof value} is not a JSON value`);
  }
}

function serializeString(value: string, walk: Walk): string {
  // RFC 8785 §3.2.2.2 requires I-JSON (RFC 7493), which forbids unpaired surrogates.
  if (hasLoneSurrogate(value)) {
    throw fail(walk, 'string contains an unpaired UTF-16 surrogate');
  }
  // For well-formed strings JSON.stringify escapes exactly as RFC 8785 §3.2.2.2 prescribes.
  return JSON.stringify(value);
}

function serializeArray(value: readonly unknown[], walk: Walk): string {
  enter(value, walk);
  let out = '[';
  for (let index = 0; index < value.length; index++) {
    walk.path.push(index);
    out += (index === 0 ? '' : ',') + serialize(value[index], walk);
    walk.path.pop();
  }
  walk.open.delete(value);
  return `${out}]`;
}

function serializeObject(value: object, walk: Walk): string {
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    const kind = (value as { constructor?: { name?: unknown } }).constructor?.name;
    throw fail(walk, `${typeof kind === 'string' ? kind : 'object'} is not a plain object`);
  }
  if (Object.getOwnPropertySymbols(value).length > 0) {
    throw fail(walk, 'object has symbol keys');
  }
  enter(value, walk);
  const record = value as Record<string, unknown>;
  // Default sort compares UTF-16 code units, which is the order RFC 8785 §3.2.3 requires.
  const keys = Object.keys(record).sort();
  let out = '{';
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index] as string;
    walk.path.push(key);
    out += `${index === 0 ? '' : ','}${serializeString(key, walk)}:${serialize(record[key], walk)}`;
    walk.path.pop();
  }
  walk.open.delete(value);
  return `${out}}`;
}

function enter(value: object, walk: Walk): void {
  if (walk.open.has(value)) {
    throw fail(walk, 'value contains itself (cycle)');
  }
  walk.open.add(value);
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function fail(walk: Walk, reason: string): JcsError {
  const path = walk.path
    .map((step) =>
      typeof step === 'number' ? `[${step}]` : IDENTIFIER.test(step) ? `.${step}` : `[${JSON.stringify(step)}]`,
    )
    .join('');
  return new JcsError(reason, `$${path}`);
}
