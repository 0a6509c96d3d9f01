import { issueApiKey, tenantId, type IssuedApiKey } from '@audit/contracts';
import type { Pool } from '@audit/db';

export interface NewApiKey {
  tenant: string;
  sources: string[];
  types: string[];
  /** Extra powers, e.g. `approvals` for an approval system's key (see the README's trust rules). */
  scopes?: string[];
  description?: string;
}

/** Issues a key and stores only the SHA-256 of its secret (table ingest_api_keys of the ingest service). */
export async function createApiKey(pool: Pool, spec: NewApiKey): Promise<IssuedApiKey> {
  tenantId.parse(spec.tenant);
  const key = issueApiKey();
  await pool.query(
    `INSERT INTO ingest_api_keys (key_id, tenant, secret_sha256, allowed_sources, allowed_types, scopes, description)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [key.keyId, spec.tenant, key.secretSha256, spec.sources, spec.types, spec.scopes ?? [], spec.description ?? null],
  );
  return key;
}

/** Marks a key revoked (kept for the audit trail). False when there is no such active key. */
export async function revokeApiKey(pool: Pool, keyId: string): Promise<boolean> {
  const { rowCount } = await pool.query('UPDATE ingest_api_keys SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL', [keyId]);
  return (rowCount ?? 0) > 0;
}

/** Sets (or rotates) the GitHub webhook secret of a tenant. Stored in clear: HMAC verification needs it. */
export async function setWebhookSecret(pool: Pool, tenant: string, provider: 'github', secret: string): Promise<void> {
  tenantId.parse(tenant);
  await pool.query(
    `INSERT INTO ingest_webhook_secrets (tenant, provider, secret) VALUES ($1, $2, $3)
     ON CONFLICT (tenant, provider) DO UPDATE SET secret = EXCLUDED.secret, updated_at = now()`,
    [tenant, provider, secret],
  );
}
