import { decodeJsonBody } from './json-body';

const status = (bytes: Buffer) => {
  const r = decodeJsonBody(bytes);
  return r.ok ? 'ok' : r.error.problem.detail;
};

describe('decodeJsonBody', () => {
  it('parses JSON', () => {
    expect(decodeJsonBody(Buffer.from('{"a":[1,"é"]}'))).toEqual({ ok: true, value: { a: [1, 'é'] } });
  });
  it('refuses empty bodies, a BOM, invalid UTF-8 and non-JSON with a clear reason', () => {
    expect(status(Buffer.alloc(0))).toMatch(/empty/);
    expect(status(Buffer.from('\uFEFF{}', 'utf8'))).toMatch(/byte-order mark/);
    expect(status(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]))).toMatch(/UTF-8/);
    expect(status(Buffer.from('{"a":'))).toMatch(/not valid JSON/);
    expect(status(Buffer.from('{} {}'))).toMatch(/not valid JSON/);
  });
});
