/**
 * A strict JSON text decoder: RFC 8259 syntax, plus the rules that make a decoded value committable to
 * the ledger (RFC 8785 canonical JSON) and unambiguous to every reader. JSON.parse accepts all of these;
 * each is refused here with the JSON path and the rule:
 *
 * - duplicate object keys (RFC 8259 §4 leaves the result undefined; JSON.parse keeps the last one, other
 *   readers the first, so two readers of one record could disagree);
 * - strings or keys that are not well-formed Unicode: a lone UTF-16 surrogate, whether written as a
 *   `\ud800` escape or as a raw code unit (RFC 8785 cannot canonicalize it);
 * - numbers that do not survive as an IEEE 754 double: |n| > 2^53−1 (integers there are rounded, e.g.
 *   2^53+1 becomes 2^53), and non-integers whose text differs in value from the double's shortest
 *   round-trip text (`0.1000000000000000000000000001` reads back as `0.1`; `1e-400` as `0`). Numbers that
 *   must be exact beyond that belong in strings;
 * - nesting deeper than `maxDepth`, objects with more than `maxObjectKeys` keys, arrays with more than
 *   `maxArrayItems` items.
 *
 * Iterative (an explicit stack), so 100 000 nested brackets are refused at `maxDepth` instead of
 * overflowing the call stack. Pure and dependency-free: every door (HTTP bodies, Kafka messages) uses it.
 */

/** The decoder's default bounds, documented in libs/contracts/README.md. */
export const STRICT_JSON_LIMITS = { maxDepth: 64, maxObjectKeys: 10_000, maxArrayItems: 100_000 } as const;

export interface StrictJsonLimits {
  /** Most nested objects/arrays; the top-level value is depth 1. */
  maxDepth: number;
  maxObjectKeys: number;
  maxArrayItems: number;
}

export type StrictJsonRule = 'duplicate-key' | 'lone-surrogate' | 'inexact-number' | 'max-depth' | 'max-keys' | 'max-items';

export type StrictJsonError =
  /** Not JSON at all (RFC 8259 grammar): a malformed request. */
  | { kind: 'syntax'; position: number; message: string }
  /** Valid JSON that breaks one of the rules above: the content is refused. */
  | { kind: 'content'; rule: StrictJsonRule; path: string; position: number; message: string };

export type StrictJsonResult = { ok: true; value: unknown } | { ok: false; error: StrictJsonError };

/** The smallest positive normal double: below it a short decimal may still land on a rounded subnormal. */
const MIN_NORMAL = 2.2250738585072014e-308;
/** Any decimal of at most this many significant digits survives a trip through a double (DBL_DIG). */
const DBL_DIG = 15;

class Refusal extends Error {
  constructor(readonly detail: StrictJsonError) {
    super(detail.message);
  }
}

interface Frame {
  container: Record<string, unknown> | unknown[];
  isArray: boolean;
  /** Key of the member being read (objects) — its path segment. */
  key: string;
  /** Members or items read so far; for arrays also the index of the item being read. */
  count: number;
}

/** Decodes `text` or says why not. Never throws (a stack overflow included). */
export function parseStrictJson(text: string, limits: Partial<StrictJsonLimits> = {}): StrictJsonResult {
  try {
    return { ok: true, value: new StrictJsonParser(text, { ...STRICT_JSON_LIMITS, ...limits }).parse() };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, error: error.detail };
    throw error;
  }
}

class StrictJsonParser {
  private i = 0;
  private readonly stack: Frame[] = [];

  constructor(
    private readonly text: string,
    private readonly limits: StrictJsonLimits,
  ) {}

  parse(): unknown {
    const { text, stack, limits } = this;
    let value: unknown;
    for (;;) {
      // Read one value (opening a container means reading its first member next).
      this.skipWhitespace();
      const c = text.charCodeAt(this.i);
      let opened = false;
      if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
        if (stack.length >= limits.maxDepth) {
          this.refuse('max-depth', this.path(), `nests deeper than ${limits.maxDepth} levels (the limit of JSON nesting)`);
        }
        this.i++;
        const isArray = c === 0x5b;
        const frame: Frame = { container: isArray ? [] : {}, isArray, key: '', count: 0 };
        stack.push(frame);
        this.skipWhitespace();
        const close = text.charCodeAt(this.i);
        if (close === (isArray ? 0x5d : 0x7d)) {
          this.i++;
          stack.pop();
          value = frame.container;
        } else {
          if (!isArray) this.readKey(frame);
          opened = true;
        }
      } else if (c === 0x22 /* " */) {
        value = this.readString(false);
      } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
        value = this.readNumber();
      } else if (c === 0x74 && text.startsWith('true', this.i)) {
        this.i += 4;
        value = true;
      } else if (c === 0x66 && text.startsWith('false', this.i)) {
        this.i += 5;
        value = false;
      } else if (c === 0x6e && text.startsWith('null', this.i)) {
        this.i += 4;
        value = null;
      } else {
        this.unexpected();
      }
      if (opened) continue;
      // Store the value in its container; close every container that ends here.
      for (;;) {
        const frame = stack[stack.length - 1];
        if (frame === undefined) {
          this.skipWhitespace();
          if (this.i < text.length) this.unexpected('after the JSON value');
          return value;
        }
        if (frame.isArray) {
          (frame.container as unknown[]).push(value);
        } else if (frame.key === '__proto__') {
          // An own property, as JSON.parse makes it, never the object's prototype.
          Object.defineProperty(frame.container, '__proto__', { value, enumerable: true, writable: true, configurable: true });
        } else {
          (frame.container as Record<string, unknown>)[frame.key] = value;
        }
        frame.count++;
        this.skipWhitespace();
        const next = text.charCodeAt(this.i);
        if (next === 0x2c /* , */) {
          this.i++;
          if (frame.isArray) {
            if (frame.count >= limits.maxArrayItems) this.refuse('max-items', this.path(stack.length - 1), `has more than ${limits.maxArrayItems} items`);
          } else {
            if (frame.count >= limits.maxObjectKeys) this.refuse('max-keys', this.path(stack.length - 1), `has more than ${limits.maxObjectKeys} keys`);
            this.skipWhitespace();
            this.readKey(frame);
          }
          break;
        }
        if (next === (frame.isArray ? 0x5d : 0x7d)) {
          this.i++;
          stack.pop();
          value = frame.container;
          continue;
        }
        this.unexpected(frame.isArray ? "(expected ',' or ']')" : "(expected ',' or '}')");
      }
    }
  }

  /** Reads `"key":` into the frame, refusing a duplicate. */
  private readKey(frame: Frame): void {
    if (this.text.charCodeAt(this.i) !== 0x22) this.unexpected('(expected a string key)');
    const at = this.i;
    const key = this.readString(true);
    if (Object.prototype.hasOwnProperty.call(frame.container, key)) {
      frame.key = key;
      this.refuse('duplicate-key', this.path(), `duplicate key ${JSON.stringify(key)}: object keys must be unique`, at);
    }
    frame.key = key;
    this.skipWhitespace();
    if (this.text.charCodeAt(this.i) !== 0x3a /* : */) this.unexpected("(expected ':')");
    this.i++;
  }

  private readString(isKey: boolean): string {
    // Fast path, most strings: no escape, no control character, no surrogate before the closing quote.
    const end = this.text.indexOf('"', this.i + 1);
    if (end !== -1) {
      const segment = this.text.slice(this.i + 1, end);
      if (!NEEDS_SCAN.test(segment)) {
        this.i = end + 1;
        return segment;
      }
    }
    return this.scanString(isKey);
  }

  private scanString(isKey: boolean): string {
    const { text } = this;
    const at = this.i;
    let start = ++this.i;
    let out = '';
    let surrogates = false;
    for (;;) {
      const c = text.charCodeAt(this.i);
      if (c === 0x22) {
        out += text.slice(start, this.i);
        this.i++;
        break;
      }
      if (c === 0x5c /* \ */) {
        out += text.slice(start, this.i);
        const e = text.charCodeAt(this.i + 1);
        if (e === 0x75 /* u */) {
          const hex = text.slice(this.i + 2, this.i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.syntax(this.i, 'invalid \\u escape in a string');
          const unit = parseInt(hex, 16);
          if (unit >= 0xd800 && unit <= 0xdfff) surrogates = true;
          out += String.fromCharCode(unit);
          this.i += 6;
        } else {
          const decoded = ESCAPES[e];
          if (decoded === undefined) this.syntax(this.i, 'invalid escape in a string');
          out += decoded;
          this.i += 2;
        }
        start = this.i;
      } else if (c < 0x20 || Number.isNaN(c)) {
        if (Number.isNaN(c)) this.syntax(at, 'unterminated string');
        this.syntax(this.i, 'control character in a string (must be escaped)');
      } else {
        if (c >= 0xd800 && c <= 0xdfff) surrogates = true;
        this.i++;
      }
    }
    if (surrogates && !isWellFormed(out)) {
      const unit = loneSurrogate(out);
      const what = isKey ? `key ${JSON.stringify(out)}` : 'string';
      // A bad key is reported at its object (the key itself is not printable as a path).
      this.refuse('lone-surrogate', this.path(isKey ? this.stack.length - 1 : this.stack.length), `${what} is not well-formed Unicode: lone UTF-16 surrogate \\u${unit} (canonical JSON, RFC 8785, cannot encode it)`, at);
    }
    return out;
  }

  private readNumber(): number {
    const { text } = this;
    const start = this.i;
    if (text.charCodeAt(this.i) === 0x2d) this.i++;
    const first = text.charCodeAt(this.i);
    if (first === 0x30) this.i++;
    else if (first >= 0x31 && first <= 0x39) this.skipDigits();
    else this.unexpected('(expected a digit)');
    let plain = true;
    if (text.charCodeAt(this.i) === 0x2e /* . */) {
      plain = false;
      this.i++;
      if (this.skipDigits() === 0) this.unexpected('(expected a digit after the decimal point)');
    }
    const e = text.charCodeAt(this.i);
    if (e === 0x65 || e === 0x45) {
      plain = false;
      this.i++;
      const sign = text.charCodeAt(this.i);
      if (sign === 0x2b || sign === 0x2d) this.i++;
      if (this.skipDigits() === 0) this.unexpected('(expected a digit in the exponent)');
    }
    const source = text.slice(start, this.i);
    const value = Number(source);
    const problem = inexact(source, value, plain);
    if (problem) this.refuse('inexact-number', this.path(), problem, start);
    return value;
  }

  private skipDigits(): number {
    const from = this.i;
    for (let c = this.text.charCodeAt(this.i); c >= 0x30 && c <= 0x39; c = this.text.charCodeAt(this.i)) this.i++;
    return this.i - from;
  }

  private skipWhitespace(): void {
    for (let c = this.text.charCodeAt(this.i); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = this.text.charCodeAt(this.i)) this.i++;
  }

  /** Dotted path of the value being read (the house format of FieldIssue paths: `details.items.3.name`). */
  private path(depth = this.stack.length): string {
    let path = '';
    for (let d = 0; d < depth; d++) {
      const frame = this.stack[d] as Frame;
      const segment = frame.isArray ? String(frame.count) : frame.key;
      path = d === 0 ? segment : `${path}.${segment}`;
    }
    return path;
  }

  private refuse(rule: StrictJsonRule, path: string, message: string, position = this.i): never {
    throw new Refusal({ kind: 'content', rule, path, position, message });
  }

  private syntax(position: number, message: string): never {
    throw new Refusal({ kind: 'syntax', position, message: `${message} at position ${position}` });
  }

  private unexpected(context = ''): never {
    const c = this.text.charCodeAt(this.i);
    const what = Number.isNaN(c) ? 'end of the JSON text' : `character ${JSON.stringify(this.text[this.i])}`;
    this.syntax(this.i, `unexpected ${what}${context ? ` ${context}` : ''}`);
  }
}

/** What sends a string through the character-by-character scan: escapes, controls, any surrogate. */
const NEEDS_SCAN = /[\\\u0000-\u001f\ud800-\udfff]/;

const ESCAPES: Record<number, string> = { 0x22: '"', 0x5c: '\\', 0x2f: '/', 0x62: '\b', 0x66: '\f', 0x6e: '\n', 0x72: '\r', 0x74: '\t' };

/** `String.prototype.isWellFormed` (ES2024; Node ≥ 20), typed here because the workspace targets ES2022. */
export function isWellFormed(s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/** The first lone surrogate of an ill-formed string, as 4 hex digits (for the message). */
export function loneSurrogate(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return c.toString(16);
    } else if (c >= 0xdc00 && c <= 0xdfff) return c.toString(16);
  }
  return '';
}

/** Why the number written as `source` is not exactly the double `value`, or undefined when it is. */
export function inexact(source: string, value: number, plain: boolean): string | undefined {
  if (!(Math.abs(value) <= Number.MAX_SAFE_INTEGER)) {
    return `number ${source} is outside ±(2^53−1) (±9007199254740991), where doubles are not exact; send it as a string`;
  }
  if (plain) return undefined; // an integer within ±(2^53−1) is exact
  const digits = significantDigits(source);
  if (digits === 0 || (digits <= DBL_DIG && Math.abs(value) >= MIN_NORMAL)) return undefined;
  if (decimalKey(source) === decimalKey(String(value))) return undefined;
  return `number ${source} is not exact as a double (it would read back as ${String(value)}); send it as a string`;
}

function significantDigits(source: string): number {
  let n = 0;
  let leading = true;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 0x65 || c === 0x45) break;
    if (c < 0x30 || c > 0x39) continue;
    if (leading && c === 0x30) continue;
    leading = false;
    n++;
  }
  return n;
}

/** The decimal value of a JSON number text, normalized: `-digits e exp` without leading or trailing zeros. */
function decimalKey(source: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(source);
  if (!m) return source;
  const fraction = m[3] ?? '';
  let digits = `${m[2] ?? ''}${fraction}`.replace(/^0+/, '');
  let exponent = Number(m[4] ?? '0') - fraction.length;
  if (digits === '') return '0';
  const trimmed = digits.replace(/0+$/, '');
  exponent += digits.length - trimmed.length;
  digits = trimmed;
  return `${m[1] ?? ''}${digits}e${exponent}`;
}
