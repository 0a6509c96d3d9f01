import { z } from 'zod';

/** C0/C1 control characters and DEL. Tabs and newlines are allowed only where a field says so. */
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_CHARS_EXCEPT_WHITESPACE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/** A single-line string of at most `max` characters, with no control characters. */
export const line = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL_CHARS.test(s), { message: 'must not contain control characters' });

/** Free text (tabs and newlines allowed, other control characters refused). */
export const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !CONTROL_CHARS_EXCEPT_WHITESPACE.test(s), {
      message: 'must not contain control characters other than tab and newline',
    });

export const tenantId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1-63 lowercase letters, digits or dashes, starting with a letter or digit');

/** Lowercase identifier such as an environment name or a resource kind (`prod`, `aws_iam_role`, `k8s.deployment`). */
export const slug = (max = 64) =>
  z.string().regex(new RegExp(`^[a-z0-9][a-z0-9._:/-]{0,${max - 1}}$`), `must be 1-${max} lowercase letters, digits or . _ : / -`);

/** RFC 3339 timestamp with an explicit offset (`Z` or `±hh:mm`). */
export const timestamp = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 timestamp with a time zone' });

export const sha256Digest = z
  .string()
  .regex(/^sha256:[0-9a-f]{64}$/, 'must be "sha256:" followed by 64 lowercase hex digits');

export const uuidV7 = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'must be a lowercase UUIDv7');

export const httpsUrl = z
  .string()
  .max(2048)
  .url()
  .refine((u) => /^https?:\/\//.test(u), { message: 'must be an http(s) URL' });

export const hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');

/** Limits on free-form `details`: documented in libs/contracts/README.md. */
export const DETAILS_LIMITS = { maxBytes: 16 * 1024, maxDepth: 8, maxKeyLength: 128 } as const;

type JsonCheck = { ok: true } | { ok: false; message: string };

function checkJson(value: unknown, depth: number): JsonCheck {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return { ok: true };
  if (typeof value === 'number') return Number.isFinite(value) ? { ok: true } : { ok: false, message: 'numbers must be finite' };
  if (depth >= DETAILS_LIMITS.maxDepth) return { ok: false, message: `must nest at most ${DETAILS_LIMITS.maxDepth} levels` };
  if (Array.isArray(value)) {
    for (const v of value) {
      const r = checkJson(v, depth + 1);
      if (!r.ok) return r;
    }
    return { ok: true };
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) {
      if (k.length > DETAILS_LIMITS.maxKeyLength) return { ok: false, message: `keys must be at most ${DETAILS_LIMITS.maxKeyLength} characters` };
      const r = checkJson(v, depth + 1);
      if (!r.ok) return r;
    }
    return { ok: true };
  }
  return { ok: false, message: 'must be plain JSON' };
}

/** Bounded JSON object for source-specific extras that have no typed field. */
export const boundedJsonObject = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const shape = checkJson(value, 0);
  if (!shape.ok) {
    ctx.addIssue({ code: 'custom', message: shape.message });
    return;
  }
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes > DETAILS_LIMITS.maxBytes) {
    ctx.addIssue({ code: 'custom', message: `must serialize to at most ${DETAILS_LIMITS.maxBytes} bytes (got ${bytes})` });
  }
});
