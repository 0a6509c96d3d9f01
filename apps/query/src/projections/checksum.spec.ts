import { canonicalJson, ProjectionChecksum } from './checksum';

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson(new Date('2026-01-01T00:00:00Z'))).toBe('"2026-01-01T00:00:00.000Z"');
  });
  it('gives the same checksum for the same rows whatever their key order, and a different one for any change', () => {
    const a = new ProjectionChecksum();
    a.add('t', { x: 1, y: 2 });
    const b = new ProjectionChecksum();
    b.add('t', { y: 2, x: 1 });
    const c = new ProjectionChecksum();
    c.add('t', { y: 2, x: 3 });
    const [da, db, dc] = [a.digest(), b.digest(), c.digest()];
    expect(da).toEqual(db);
    expect(dc.sha256).not.toBe(db.sha256);
  });
});
