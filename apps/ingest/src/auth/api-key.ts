import { timingSafeEqual } from 'node:crypto';
import { hashApiKeySecret, type Provenance } from '@audit/contracts';

/** `Authorization: Bearer <key>` or `X-Api-Key: <key>`; both present and different is ambiguous → refused. */
export function keyFromHeaders(headers: Record<string, string | string[] | undefined>): { token: string } | { error: string } | undefined {
  const auth = single(headers.authorization);
  const xApiKey = single(headers['x-api-key']);
  let bearer: string | undefined;
  if (auth !== undefined) {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(auth);
    if (!m) return { error: 'the Authorization header must be "Bearer <api key>"' };
    bearer = m[1];
  }
  if (bearer !== undefined && xApiKey !== undefined && bearer !== xApiKey) return { error: 'Authorization and X-Api-Key carry different keys' };
  const token = bearer ?? xApiKey;
  return token === undefined ? undefined : { token };
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Constant-time check of a presented secret against the stored hash (both are 32-byte SHA-256 digests). */
export function secretMatches(secret: string, storedSha256: Buffer): boolean {
  const presented = hashApiKeySecret(secret);
  return storedSha256.length === presented.length && timingSafeEqual(presented, storedSha256);
}

/** What a key may write: its tenant and, when the lists are non-empty, only these sources and types. */
export interface EmitterScope {
  keyId: string;
  tenant: string;
  allowedSources: readonly string[];
  allowedTypes: readonly string[];
  /** Extra powers given explicitly (e.g. `approvals`); stamped into the provenance of what it writes. */
  scopes: readonly string[];
}

/** Who asserted what a key sent: the key itself, with the scopes it had at that moment. */
export function apiKeyProvenance(scope: EmitterScope, via: string): Provenance {
  return { kind: 'api_key', id: scope.keyId, auth: 'api-key', scopes: [...scope.scopes], via };
}
