import { decodeStrictJsonBody } from './strict-json-body';
import { ProblemError } from './problem';

const problemOf = (text: string | Buffer) => {
  const r = decodeStrictJsonBody(Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'));
  return r instanceof ProblemError ? r.problem : undefined;
};

describe('decodeStrictJsonBody', () => {
  it('decodes well-formed JSON as JSON.parse does', () => {
    expect(decodeStrictJsonBody(Buffer.from('{"decision":"approve","comment":"lgtm \\ud83d\\ude80"}'))).toEqual({ value: { decision: 'approve', comment: 'lgtm 🚀' } });
  });
  it.each([
    ['{"comment":"\\ud800"}', 'comment', /lone UTF-16 surrogate \\ud800/],
    ['{"decision":"reject","decision":"approve"}', 'decision', /duplicate key "decision"/],
    ['{"n":9007199254740993}', 'n', /2\^53/],
  ])('%s → 422 naming the path and the rule', (text, path, message) => {
    expect(problemOf(text)).toMatchObject({ status: 422, errors: [{ path, message: expect.stringMatching(message) as unknown }] });
  });
  it('syntax errors and invalid UTF-8 are 400', () => {
    expect(problemOf('{"decision":')).toMatchObject({ status: 400, detail: expect.stringMatching(/not valid JSON: unexpected end/) as unknown });
    expect(problemOf(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]))).toMatchObject({ status: 400, detail: 'the body is not valid UTF-8' });
  });
});
