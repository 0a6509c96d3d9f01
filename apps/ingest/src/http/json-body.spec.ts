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

describe('decodeJsonBody: the contract’s strict-JSON rules', () => {
  const refusal = (text: string) => {
    const r = decodeJsonBody(Buffer.from(text, 'utf8'));
    if (r.ok) throw new Error('expected a refusal');
    return { status: r.error.problem.status, errors: r.error.problem.errors };
  };
  it.each([
    ['a lone surrogate', '{"reason":"\\ud800"}', 'reason', /lone UTF-16 surrogate/],
    ['a duplicate key', '{"id":"first","id":"second"}', 'id', /duplicate key "id"/],
    ['2^53+1', '{"details":{"n":9007199254740993}}', 'details.n', /2\^53/],
    ['5 000 nested arrays', `{"details":${'['.repeat(5000)}${']'.repeat(5000)}}`, `details${'.0'.repeat(63)}`, /deeper than 64/],
  ])('%s → 422 naming the path and the rule', (_name, text, path, message) => {
    expect(refusal(text)).toEqual({ status: 422, errors: [{ path, message: expect.stringMatching(message) as unknown }] });
  });
  it('a syntax error stays a 400 with the position', () => {
    expect(refusal('{"a":}')).toEqual({ status: 400, errors: undefined });
    expect(decodeJsonBody(Buffer.from('{"a":}'))).toMatchObject({ ok: false, error: { problem: { detail: expect.stringMatching(/not valid JSON: unexpected character "}" at position 5/) as unknown } } });
  });
});
