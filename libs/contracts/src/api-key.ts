import { createHash, randomBytes } from 'node:crypto';

/** Extra powers a key can be given explicitly; `approvals`: the key of an approval system. */
export const API_KEY_SCOPES = ['approvals'] as const;

/**
 * Emitter API keys look like `alk_<keyId>.<secret>`: the key id is public (it names the key in logs and
 * in `audit-ledger apikey revoke`), the secret is 32 random bytes and is stored only as its SHA-256. The
 * format is shared by the ingest service (which verifies keys) and the CLI (which issues them).
 */
const API_KEY_FORMAT = /^alk_([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;

export interface PresentedApiKey {
  keyId: string;
  secret: string;
}

export interface IssuedApiKey extends PresentedApiKey {
  /** The full token, shown to the operator once and never stored. */
  token: string;
  secretSha256: Buffer;
}

export function issueApiKey(random: (n: number) => Buffer = randomBytes): IssuedApiKey {
  const keyId = random(8).toString('hex');
  const secret = random(32).toString('base64url');
  return { keyId, secret, token: `alk_${keyId}.${secret}`, secretSha256: hashApiKeySecret(secret) };
}

export function hashApiKeySecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export function parseApiKey(token: string): PresentedApiKey | undefined {
  const m = API_KEY_FORMAT.exec(token);
  return m ? { keyId: m[1] as string, secret: m[2] as string } : undefined;
}
