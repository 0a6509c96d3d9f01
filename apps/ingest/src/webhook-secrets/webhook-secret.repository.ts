import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import type { Pool } from '@audit/db';
import { InjectPool } from '@audit/service-shell';

/**
 * Webhook secrets per tenant (table ingest_webhook_secrets, set by `audit-ledger webhook-secret set`).
 * Stored in clear because verifying an HMAC needs the secret itself; envelope encryption (a KMS-held key
 * wrapping each secret) is the follow-up.
 */
@Injectable()
export class WebhookSecretRepository {
  constructor(@InjectPool() private readonly pool: Pool) {}

  async find(tenant: string, provider: 'github'): Promise<string | undefined> {
    const { rows } = await this.pool.query('SELECT secret FROM ingest_webhook_secrets WHERE tenant = $1 AND provider = $2', [tenant, provider]);
    return rows.length === 0 ? undefined : z.object({ secret: z.string() }).parse(rows[0]).secret;
  }
}
