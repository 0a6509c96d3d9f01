import { createHash } from 'node:crypto';

/**
 * Finds credentials in free text before an event is stamped and hashed: once in the ledger they can never
 * be removed without breaking the chain, so they are replaced on the way in by a marker that names the
 * kind and a short salted digest (`[REDACTED:github-token:1a2b3c4d]`) — enough to tell two leaks of the
 * same secret apart from two different ones, not enough to recover either. Pure: no I/O.
 */
export type SecretKind =
  | 'private-key'
  | 'jwt'
  | 'aws-access-key-id'
  | 'aws-secret-access-key'
  | 'github-token'
  | 'slack-token'
  | 'url-password'
  | 'bearer-token'
  | 'password-assignment'
  | 'secret-field'
  | 'high-entropy-token'
  /** A pattern the operator configured for one tenant (SECRET_SCAN_TENANT_PATTERNS), e.g. its own token format. */
  | 'tenant-pattern';

interface Rule {
  kind: SecretKind;
  pattern: RegExp;
  /** Which capture group is the secret (0 = the whole match); the rest of the match is kept. */
  group: number;
  /** An extra check on the candidate (entropy, character mix). */
  accept?: (secret: string) => boolean;
}

/** Found secrets become placeholders in these private-use characters until the end, so no later rule reads a marker. */
const OPEN = '\uE000';
const CLOSE = '\uE001';
const NOT_A_MARKER = '(?![\\uE000]|\\[REDACTED:)';
const KEYWORDS = 'password|passwd|passphrase|pwd|secret|client[_-]?secret|api[_-]?key|apikey|access[_-]?key|private[_-]?key|auth[_-]?token|access[_-]?token|refresh[_-]?token|token|credentials?';

/** Most specific first: a PEM block or a JWT must be named as such before a generic rule eats part of it. */
const RULES: Rule[] = [
  { kind: 'private-key', pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/g, group: 0 },
  { kind: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g, group: 0 },
  { kind: 'aws-access-key-id', pattern: /\b(?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA)[A-Z0-9]{16}\b/g, group: 0 },
  {
    kind: 'aws-secret-access-key',
    pattern: /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
    group: 0,
    // 40 characters of base64 with upper, lower and a digit (a git sha is lowercase hex): the shape of an
    // AWS secret access key wherever it stands, with or without `aws_secret_access_key=` before it.
    accept: (s) => /[A-Z]/.test(s) && /[a-z]/.test(s) && /[0-9]/.test(s) && !/^[0-9a-f]+$/i.test(s),
  },
  { kind: 'github-token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g, group: 0 },
  { kind: 'slack-token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,250}/g, group: 0 },
  { kind: 'url-password', pattern: new RegExp(`\\b[a-z][a-z0-9+.-]{1,20}://[^\\s:/@?#]{1,256}:${NOT_A_MARKER}([^\\s@/?#]{1,256})@`, 'gi'), group: 1 },
  { kind: 'bearer-token', pattern: new RegExp(`\\b(?:Bearer|Token|Basic)\\s+${NOT_A_MARKER}([A-Za-z0-9._~+/=-]{12,4096})`, 'g'), group: 1 },
  {
    kind: 'password-assignment',
    pattern: new RegExp(`(?<![A-Za-z0-9])(?:${KEYWORDS})["']?\\s*(?:[:=]|=>|\\bis\\b)\\s*["']?${NOT_A_MARKER}([^\\s"',;&\\uE000\\uE001]{3,4096})`, 'gi'),
    group: 1,
  },
  {
    kind: 'high-entropy-token',
    pattern: new RegExp(`(?<![A-Za-z0-9])(?:${KEYWORDS}|key)\\b[^A-Za-z0-9\\n]{1,5}${NOT_A_MARKER}([A-Za-z0-9_\\-+/=.]{20,4096})`, 'gi'),
    group: 1,
    accept: (s) => shannonEntropy(s) >= 3.5,
  },
];

/** Keys of `details` whose value is a secret whatever it looks like (`{"password": "hunter2"}`). */
const SECRET_KEY = new RegExp(`^(?:${KEYWORDS}|.*(?:_|-)(?:password|secret|token))$`, 'i');

export interface SecretScanner {
  /** Text with every secret replaced by its marker, and how many were replaced. */
  redactText(text: string): { text: string; redacted: number };
  /** Every string of a JSON value (recursively), and the whole value of a secret-named key. */
  redactJson(value: unknown): { value: unknown; redacted: number };
  /** The free text of an event: `reason`, `resource.name`, `actor.displayName` and every string in `details`. */
  redactEvent<E extends ScannedEvent>(event: E): { event: E; redacted: number };
  /** This scanner plus the tenant's own patterns, if it has any. */
  forTenant(tenant: string): SecretScanner;
}

/** The parts of an event the scanner reads; everything else is structured (ids, digests, enums). */
export interface ScannedEvent {
  reason?: string | undefined;
  resource: { id?: string; name?: string | undefined };
  actor: { id?: string; displayName?: string | undefined };
  details?: Record<string, unknown> | undefined;
}

/**
 * The scanner a service's config asks for. Production refuses the public development salt: with a known
 * salt, the 8 hex of a short password's marker can be matched against guesses offline.
 */
export function secretScannerFromConfig(config: { NODE_ENV: string; SECRET_SCAN_SALT: string; SECRET_SCAN_TENANT_PATTERNS?: Record<string, string[]> }, devSalt: string): SecretScanner {
  if (config.NODE_ENV === 'production' && config.SECRET_SCAN_SALT === devSalt) throw new Error('SECRET_SCAN_SALT must be set in production (the default salt is public)');
  return secretScanner(config.SECRET_SCAN_SALT, config.SECRET_SCAN_TENANT_PATTERNS);
}

/** `tenantPatterns`: per tenant, extra regular expressions (sources) whose whole match is a secret. */
export function secretScanner(salt: string, tenantPatterns: Record<string, string[]> = {}): SecretScanner {
  const base = scannerWith(salt, RULES, () => base);
  const perTenant = new Map(
    Object.entries(tenantPatterns).map(([tenant, sources]) => {
      const extra: Rule[] = sources.map((source) => ({ kind: 'tenant-pattern', pattern: new RegExp(source, 'g'), group: 0 }));
      // Built-in shapes first: a tenant pattern must not split an AWS key or a JWT into an unnamed marker.
      const scanner: SecretScanner = scannerWith(salt, [...RULES, ...extra], () => scanner);
      return [tenant, scanner] as const;
    }),
  );
  return { ...base, forTenant: (tenant) => perTenant.get(tenant) ?? base };
}

function scannerWith(salt: string, rules: readonly Rule[], self: () => SecretScanner): SecretScanner {
  const marker = (kind: SecretKind, secret: string) => `[REDACTED:${kind}:${createHash('sha256').update(salt).update('\0').update(secret).digest('hex').slice(0, 8)}]`;
  const redactText = (text: string) => {
    const found: string[] = [];
    // Markers already in the text (a re-sent event) are kept as they are, and not counted.
    let out = text.replace(/\[REDACTED:[a-z-]+:[0-9a-f]{8}\]/g, (m) => `${OPEN}${found.push(m) - 1}${CLOSE}`);
    const kept = found.length;
    for (const rule of rules) {
      out = out.replace(rule.pattern, (...args: unknown[]) => {
        const match = args[0] as string;
        const secret = (rule.group === 0 ? match : (args[rule.group] as string | undefined)) ?? '';
        if (secret === '' || secret.startsWith('[REDACTED:') || (rule.accept && !rule.accept(secret))) return match;
        const placeholder = `${OPEN}${found.push(marker(rule.kind, secret)) - 1}${CLOSE}`;
        if (rule.group === 0) return placeholder;
        const at = match.lastIndexOf(secret);
        return `${match.slice(0, at)}${placeholder}${match.slice(at + secret.length)}`;
      });
    }
    if (found.length === kept) return { text, redacted: 0 };
    return { text: out.replace(/\uE000(\d+)\uE001/g, (m, i: string) => found[Number(i)] ?? m), redacted: found.length - kept };
  };
  const redactJson = (value: unknown) => {
    let redacted = 0;
    const walk = (v: unknown, key?: string): unknown => {
      if (typeof v === 'string') {
        if (key !== undefined && SECRET_KEY.test(key) && v !== '' && !v.startsWith('[REDACTED:')) {
          redacted++;
          return marker('secret-field', v);
        }
        const r = redactText(v);
        redacted += r.redacted;
        return r.text;
      }
      if (Array.isArray(v)) return v.map((item) => walk(item, key));
      if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, k)]));
      return v;
    };
    return { value: walk(value), redacted };
  };
  return {
    redactText,
    redactJson,
    forTenant: () => self(),
    redactEvent(event) {
      let redacted = 0;
      const text = (t: string | undefined) => {
        if (t === undefined) return undefined;
        const r = redactText(t);
        redacted += r.redacted;
        return r.text;
      };
      const reason = text(event.reason);
      const name = text(event.resource.name);
      const displayName = text(event.actor.displayName);
      const details = event.details === undefined ? undefined : redactJson(event.details);
      if (details) redacted += details.redacted;
      if (redacted === 0) return { event, redacted };
      return {
        event: {
          ...event,
          ...(reason !== undefined ? { reason } : {}),
          resource: { ...event.resource, ...(name !== undefined ? { name } : {}) },
          actor: { ...event.actor, ...(displayName !== undefined ? { displayName } : {}) },
          ...(details ? { details: details.value as Record<string, unknown> } : {}),
        },
        redacted,
      };
    },
  };
}

/** Bits per character: random tokens score above 3.5, words and identifiers below. */
export function shannonEntropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / s.length) * Math.log2(n / s.length);
  return bits;
}
