import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import type { Pool } from '@audit/db';
import { InjectPool } from '@audit/service-shell';

const Row = z.object({
  key_id: z.string(),
  tenant: z.string(),
  secret_sha256: z.instanceof(Buffer),
  allowed_sources: z.array(z.string()),
  allowed_types: z.array(z.string()),
  scopes: z.array(z.string()),
  revoked_at: z.date().nullable(),
});

export interface StoredApiKey {
  keyId: string;
  tenant: string;
  secretSha256: Buffer;
  allowedSources: string[];
  allowedTypes: string[];
  scopes: string[];
  revoked: boolean;
}

/** Reads emitter API keys (table ingest_api_keys; written by the `audit-ledger apikey` CLI). */
@Injectable()
export class ApiKeyRepository {
  constructor(@InjectPool() private readonly pool: Pool) {}

  async find(keyId: string): Promise<StoredApiKey | undefined> {
    const { rows } = await this.pool.query(
      'SELECT key_id, tenant, secret_sha256, allowed_sources, allowed_types, scopes, revoked_at FROM ingest_api_keys WHERE key_id = $1',
      [keyId],
    );
    if (rows.length === 0) return undefined;
    const row = Row.parse(rows[0]);
    return {
      keyId: row.key_id,
      tenant: row.tenant,
      secretSha256: row.secret_sha256,
      allowedSources: row.allowed_sources,
      allowedTypes: row.allowed_types,
      scopes: row.scopes,
      revoked: row.revoked_at !== null,
    };
  }
}
