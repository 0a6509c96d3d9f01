import { parseStrictJson } from '@audit/contracts';
import { Problems, type Result, fail, ok } from './problem';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes a JSON request body strictly: valid UTF-8, no byte-order mark (RFC 8259 §8.1 forbids emitters
 * from adding one, and `terraform show -json` piped through some Windows tools gains one), one JSON value,
 * and the contract's strict-JSON rules (libs/contracts `parseStrictJson`: no duplicate keys, no lone
 * surrogates, exact numbers, bounded nesting and counts), so nothing accepted here is uncommittable later.
 * Not JSON → 400; JSON that breaks a rule → 422 naming the path and the rule.
 * The result is still `unknown`: callers validate it with a schema before using it.
 */
export function decodeJsonBody(bytes: Buffer): Result<unknown> {
  if (bytes.length === 0) return fail(Problems.malformed('the request body is empty; send a JSON document'));
  if (bytes.subarray(0, 3).equals(BOM)) return fail(Problems.malformed('the body starts with a UTF-8 byte-order mark; send JSON without a BOM'));
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return fail(Problems.malformed('the body is not valid UTF-8'));
  }
  const decoded = parseStrictJson(text);
  if (decoded.ok) return ok(decoded.value);
  const { error } = decoded;
  if (error.kind === 'syntax') return fail(Problems.malformed(`the body is not valid JSON: ${error.message}`));
  return fail(Problems.invalid('the body breaks a strict-JSON rule; it was not accepted', [{ path: error.path, message: error.message }]));
}
