import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { JcsError, canonicalBytes, canonicalize } from './jcs';

const VECTORS = join(__dirname, '..', 'test', 'fixtures', 'jcs');

describe('canonicalize', () => {
  describe('RFC 8785 vectors (cyberphone/json-canonicalization)', () => {
    const names = readdirSync(join(VECTORS, 'input')).sort();

    it('finds all six vectors, each with an expected output', () => {
      expect(names).toEqual(['arrays.json', 'french.json', 'structures.json', 'unicode.json', 'values.json', 'weird.json']);
      expect(readdirSync(join(VECTORS, 'output')).sort()).toEqual(names);
    });

    it.each(names)('%s canonicalizes byte for byte', (name) => {
      const input: unknown = JSON.parse(readFileSync(join(VECTORS, 'input', name), 'utf8'));
      const expected = readFileSync(join(VECTORS, 'output', name));

      expect(expected.at(-1)).not.toBe(0x0a); // the expected files carry no trailing newline
      expect(canonicalBytes(input).equals(expected)).toBe(true);
      expect(canonicalize(input)).toBe(expected.toString('utf8'));
    });

    it.each(names)('%s is a fixed point: canonical output canonicalizes to itself', (name) => {
      const expected = readFileSync(join(VECTORS, 'output', name), 'utf8');
      expect(canonicalize(JSON.parse(expected))).toBe(expected);
    });
  });

  it('sorts keys by UTF-16 code units, not by code points or locale', () => {
    // U+1F600 is the surrogate pair D83D DE00, which sorts before U+FB33 as code units (but not as a
    // code point); "Z" sorts before "a"; "10" before "9".
    const value = { '\uFB33': 1, '\u{1F600}': 2, a: 3, Z: 4, '9': 5, '10': 6, '': 7 };
    expect(canonicalize(value)).toBe('{"":7,"10":6,"9":5,"Z":4,"a":3,"\u{1F600}":2,"\uFB33":1}');
  });

  it.each([
    [0, '0'],
    [-0, '0'],
    [1, '1'],
    [-1.5, '-1.5'],
    [1e21, '1e+21'],
    [1e20, '100000000000000000000'],
    [1e-7, '1e-7'],
    [0.000001, '0.000001'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [9007199254740991, '9007199254740991'],
    [0.1 + 0.2, '0.30000000000000004'],
  ])('serializes the number %p as %s (ECMAScript Number::toString)', (value, text) => {
    expect(canonicalize(value)).toBe(text);
  });

  it('escapes only what RFC 8785 requires in strings', () => {
    expect(canonicalize('\u0000\u0008\t\n\u000b\f\r\u001f"\\')).toBe('"\\u0000\\b\\t\\n\\u000b\\f\\r\\u001f\\"\\\\"');
    // DEL, U+2028/2029, "/" and non-ASCII stay literal.
    expect(canonicalize('\u007f\u2028\u2029/é\u{1F600}')).toBe('"\u007f\u2028\u2029/é\u{1F600}"');
  });

  it('writes literals, nested containers and shared (acyclic) references', () => {
    const shared = { b: [true, false, null] };
    expect(canonicalize({ y: shared, x: shared, z: [[], {}] })).toBe(
      '{"x":{"b":[true,false,null]},"y":{"b":[true,false,null]},"z":[[],{}]}',
    );
  });

  it('accepts objects without a prototype', () => {
    const value = Object.assign(Object.create(null) as Record<string, unknown>, { b: 1, a: 2 });
    expect(canonicalize(value)).toBe('{"a":2,"b":1}');
  });

  it('encodes canonicalBytes as UTF-8', () => {
    expect(canonicalBytes({ k: 'é€😂' }).toString('hex')).toBe(Buffer.from('{"k":"é€😂"}', 'utf8').toString('hex'));
  });

  describe('rejects values JSON cannot carry unchanged, naming where', () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    const holey: unknown[] = [1];
    holey[2] = 3;

    it.each<[string, unknown, string, RegExp]>([
      ['NaN', { n: NaN }, '$.n', /NaN is not a JSON number/],
      ['Infinity', [Infinity], '$[0]', /Infinity is not a JSON number/],
      ['-Infinity', -Infinity, '$', /-Infinity is not a JSON number/],
      ['undefined at the top', undefined, '$', /undefined is not a JSON value/],
      ['an undefined property', { a: { b: undefined } }, '$.a.b', /undefined/],
      ['an array hole', holey, '$[1]', /undefined/],
      ['a function', { f: () => 1 }, '$.f', /function/],
      ['a bigint', { big: 1n }, '$.big', /bigint/],
      ['a symbol value', { s: Symbol('x') }, '$.s', /symbol/],
      ['symbol keys', { [Symbol('k')]: 1 }, '$', /symbol keys/],
      ['a Date', { when: new Date(0) }, '$.when', /Date is not a plain object/],
      ['a Buffer', { bytes: Buffer.from('x') }, '$.bytes', /Buffer is not a plain object/],
      ['a Map', { m: new Map() }, '$.m', /Map is not a plain object/],
      ['a class instance', { c: new (class Point {})() }, '$.c', /Point is not a plain object/],
      ['a cycle', cycle, '$.self', /cycle/],
      ['a lone high surrogate', { s: 'a\uD83Db' }, '$.s', /unpaired UTF-16 surrogate/],
      ['a lone low surrogate', ['\uDE00'], '$[0]', /unpaired/],
      ['a reversed surrogate pair', ['\uDE00\uD83D'], '$[0]', /unpaired/],
      ['a lone surrogate in a key', { ['k\uD800']: 1 }, '$["k\\ud800"]', /unpaired/],
      ['a deep path with odd keys', { details: { 'a b': [0, { x: NaN }] } }, '$.details["a b"][1].x', /NaN/],
    ])('%s', (_label, value, path, reason) => {
      let error: unknown;
      try {
        canonicalize(value);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(JcsError);
      expect((error as JcsError).path).toBe(path);
      expect((error as JcsError).message).toMatch(reason);
    });

    it('leaves no state behind after an error', () => {
      expect(() => canonicalize({ a: [NaN] })).toThrow(JcsError);
      expect(canonicalize({ a: [1] })).toBe('{"a":[1]}');
    });
  });
});
