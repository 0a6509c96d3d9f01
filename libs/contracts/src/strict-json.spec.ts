import fc from 'fast-check';
import { isWellFormed, parseStrictJson, STRICT_JSON_LIMITS, type StrictJsonError } from './strict-json';

const refusal = (text: string, limits = {}): StrictJsonError => {
  const r = parseStrictJson(text, limits);
  if (r.ok) throw new Error(`expected a refusal of ${text.slice(0, 80)}, got ${JSON.stringify(r.value)}`);
  return r.error;
};
const content = (text: string, limits = {}) => {
  const e = refusal(text, limits);
  if (e.kind !== 'content') throw new Error(`expected a content refusal, got ${e.message}`);
  return { rule: e.rule, path: e.path, message: e.message };
};

describe('parseStrictJson', () => {
  it('decodes what JSON.parse decodes, for ordinary documents', () => {
    const text = '{"a":[1,-2.5,3e2,0,-0,true,false,null,"x\\n\\u00e9\\ud83d\\ude80\\/"],"b":{},"c":[],"d":{"e":"é🚀"}}';
    const r = parseStrictJson(` \n${text}\t\r `);
    expect(r).toEqual({ ok: true, value: JSON.parse(text) });
  });

  it('keeps "__proto__" an own property, as JSON.parse does, never the prototype', () => {
    const r = parseStrictJson('{"__proto__":{"polluted":true},"a":1}');
    expect(r.ok).toBe(true);
    const value = (r as { value: Record<string, unknown> }).value;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  describe('refuses duplicate keys, naming the path of the second one', () => {
    it.each([
      ['{"id":"first","id":"second"}', 'id'],
      ['{"a":{"b":1,"c":2,"b":3}}', 'a.b'],
      ['[0,{"x":[{"k":1,"k":1}]}]', '1.x.0.k'],
      ['{"\\u0061":1,"a":2}', 'a'],
      ['{"__proto__":1,"__proto__":2}', '__proto__'],
    ])('%s → %s', (text, path) => {
      expect(content(text)).toMatchObject({ rule: 'duplicate-key', path, message: expect.stringMatching(/duplicate key/) });
    });
  });

  describe('refuses strings that are not well-formed Unicode', () => {
    it.each([
      ['{"reason":"\\ud800"}', 'reason', 'd800'],
      ['{"reason":"ok \\udc00 then"}', 'reason', 'dc00'],
      ['{"a":["x","\\ud83d"]}', 'a.1', 'd83d'],
      ['{"a":"\\ude80\\ud83d"}', 'a', 'de80'],
      ['{"a":"\\ud83d\\u0041"}', 'a', 'd83d'],
      ['{"a":"\ud800"}', 'a', 'd800'],
      ['"\\udfff"', '', 'dfff'],
    ])('%s → %s', (text, path, unit) => {
      expect(content(text)).toMatchObject({ rule: 'lone-surrogate', path, message: expect.stringContaining(`lone UTF-16 surrogate \\u${unit}`) });
    });
    it('a bad key is reported at its object', () => {
      expect(content('{"details":{"ok":1,"\\ud800":2}}')).toMatchObject({ rule: 'lone-surrogate', path: 'details', message: expect.stringMatching(/^key /) });
    });
    it('accepts surrogate pairs, escaped, raw or mixed', () => {
      expect(parseStrictJson('["\\ud83d\\ude80","🚀","\\ud83d\ude80"]')).toEqual({ ok: true, value: ['🚀', '🚀', '🚀'] });
    });
  });

  describe('refuses numbers that are not exact as a double', () => {
    it.each([
      ['{"n":9007199254740992}', 'n', /2\^53/],
      ['{"n":9007199254740993}', 'n', /2\^53/],
      ['{"n":-9007199254740993}', 'n', /2\^53/],
      ['[1e16]', '0', /2\^53/],
      ['[1e400]', '0', /2\^53/],
      ['[0.1000000000000000000000000001]', '0', /not exact.*read back as 0\.1/],
      ['[1.00000000000000001]', '0', /not exact/],
      ['[1e-400]', '0', /read back as 0/],
      ['[3e-324]', '0', /read back as 5e-324/],
    ])('%s → %s', (text, path, message) => {
      expect(content(text)).toMatchObject({ rule: 'inexact-number', path, message: expect.stringMatching(message) });
    });
    it.each(['9007199254740991', '-9007199254740991', '0.1', '0.30000000000000004', '1.5e-7', '5e-324', '1E2', '0e999999', '-0', '123.4500', '2.2250738585072014e-308', '1e15'])(
      'accepts %s',
      (text) => {
        expect(parseStrictJson(text)).toEqual({ ok: true, value: JSON.parse(text) });
      },
    );
  });

  describe('bounds nesting, keys and items', () => {
    it('refuses nesting beyond maxDepth with the path where it goes too deep', () => {
      const ok = `${'['.repeat(STRICT_JSON_LIMITS.maxDepth)}${']'.repeat(STRICT_JSON_LIMITS.maxDepth)}`;
      expect(parseStrictJson(ok).ok).toBe(true);
      expect(content(`[${ok}]`)).toMatchObject({ rule: 'max-depth', path: Array<string>(STRICT_JSON_LIMITS.maxDepth).fill('0').join('.') });
      expect(content('{"a":{"b":[{"c":1}]}}', { maxDepth: 3 })).toMatchObject({ rule: 'max-depth', path: 'a.b.0', message: expect.stringMatching(/deeper than 3/) });
    });
    it('does not overflow the stack on 100 000 nested brackets, objects or arrays (and refuses early)', () => {
      const arrays = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
      const objects = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
      const unclosed = '['.repeat(100_000);
      for (const text of [arrays, objects, unclosed]) expect(content(text).rule).toBe('max-depth');
      const started = Date.now();
      content(arrays);
      expect(Date.now() - started).toBeLessThan(50);
    });
    it('with the depth limit raised, 100 000 levels still decode without recursion', () => {
      const arrays = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
      expect(parseStrictJson(arrays, { maxDepth: 200_000 }).ok).toBe(true);
    });
    it('refuses objects with too many keys and arrays with too many items', () => {
      expect(content('{"x":{"a":1,"b":2,"c":3}}', { maxObjectKeys: 2 })).toMatchObject({ rule: 'max-keys', path: 'x', message: 'has more than 2 keys' });
      expect(content('{"x":[1,2,3]}', { maxArrayItems: 2 })).toMatchObject({ rule: 'max-items', path: 'x', message: 'has more than 2 items' });
      expect(parseStrictJson('{"x":[1,2],"y":{"a":1,"b":2}}', { maxArrayItems: 2, maxObjectKeys: 2 }).ok).toBe(true);
    });
  });

  describe('syntax errors are told apart from content refusals, with the position', () => {
    it.each([
      ['', /end of the JSON text/],
      ['   ', /end of the JSON text/],
      ['{"a":', /end of the JSON text/],
      ['{} {}', /after the JSON value/],
      ['{"a" 1}', /expected ':'/],
      ['{a:1}', /expected a string key/],
      ['[1,]', /unexpected character "\]"/],
      ['{"a":1,}', /expected a string key/],
      ['[01]', /expected ',' or '\]'/],
      ['[1.]', /digit after the decimal point/],
      ['[1e]', /digit in the exponent/],
      ['[-]', /expected a digit/],
      ['["a\u0001"]', /control character/],
      ['["\\x"]', /invalid escape/],
      ['["\\u12G4"]', /invalid \\u escape/],
      ['["abc', /unterminated string/],
      ['[tru]', /unexpected character "t"/],
      ['NaN', /unexpected character "N"/],
      ['[Infinity]', /unexpected character "I"/],
    ])('%j', (text, message) => {
      const e = refusal(text);
      expect(e.kind).toBe('syntax');
      expect(e.message).toMatch(message);
      expect(e.message).toMatch(/at position \d+$/);
      expect(() => JSON.parse(text)).toThrow();
    });
  });

  describe('properties', () => {
    /** The rules a JSON value breaks (an independent oracle: a plain recursive walk, fine at this depth). */
    const defects = (value: unknown, found = new Set<string>()): Set<string> => {
      if (typeof value === 'number' && Math.abs(value) > Number.MAX_SAFE_INTEGER) found.add('inexact-number');
      else if (typeof value === 'string' && !isWellFormed(value)) found.add('lone-surrogate');
      else if (Array.isArray(value)) value.forEach((v) => defects(v, found));
      else if (value !== null && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) {
          if (!isWellFormed(k)) found.add('lone-surrogate');
          defects(v, found);
        }
      }
      return found;
    };
    const clean = fc.jsonValue({ maxDepth: 6, depthSize: 'small', stringUnit: 'grapheme' }).filter((v) => defects(v).size === 0);

    it('for any JSON value without those defects, equals JSON.parse of its text (and of pretty-printed text)', () => {
      fc.assert(
        fc.property(clean, (value) => {
          for (const text of [JSON.stringify(value), JSON.stringify(value, null, 2)]) {
            const r = parseStrictJson(text);
            expect(r).toEqual({ ok: true, value: JSON.parse(text) });
            // toEqual treats -0 and 0 alike; the decoder must keep the sign as JSON.parse does.
            if (r.ok) expect(JSON.stringify(r.value)).toBe(JSON.stringify(JSON.parse(text)));
          }
        }),
        { numRuns: 2000, seed: 16 },
      );
    });

    it('JSON.stringify of arbitrary fast-check JSON round-trips, or is refused for exactly the defects it has', () => {
      let refused = 0;
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 5, stringUnit: 'binary' }), (value) => {
          const text = JSON.stringify(value);
          const r = parseStrictJson(text);
          const found = defects(value);
          if (found.size === 0) {
            expect(r.ok).toBe(true);
            if (r.ok) expect(JSON.stringify(r.value)).toBe(text);
          } else {
            refused++;
            expect(r.ok).toBe(false);
            if (!r.ok) expect(r.error.kind === 'content' && found.has(r.error.rule)).toBe(true);
          }
        }),
        { numRuns: 3000, seed: 17 },
      );
      // The generator did produce documents with defects, so both branches ran.
      expect(refused).toBeGreaterThan(100);
    });

    it('any string with a lone surrogate is refused, escaped or raw, and well-formed ones are kept', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (s) => {
          const escaped = JSON.stringify({ s }); // writes lone surrogates as \udXXX escapes
          const raw = `{"s":"${s.replace(/["\\\u0000-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"}`;
          for (const text of [escaped, raw]) {
            const r = parseStrictJson(text);
            if (isWellFormed(s)) expect(r).toEqual({ ok: true, value: { s } });
            else expect(r).toMatchObject({ ok: false, error: { kind: 'content', rule: 'lone-surrogate', path: 's' } });
          }
        }),
        { numRuns: 3000, seed: 18 },
      );
    });

    it('an accepted number is exactly what JSON.parse makes of it, and its shortest text has the same value', () => {
      fc.assert(
        fc.property(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.maxSafeInteger(), fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n })), (n) => {
          const text = String(n);
          const r = parseStrictJson(text);
          const parsed = Number(text);
          if (Math.abs(parsed) <= Number.MAX_SAFE_INTEGER && (typeof n !== 'bigint' || BigInt(parsed) === n)) expect(r).toEqual({ ok: true, value: JSON.parse(text) });
          else expect(r).toMatchObject({ ok: false, error: { rule: 'inexact-number' } });
        }),
        { numRuns: 3000, seed: 19 },
      );
    });
  });
});
