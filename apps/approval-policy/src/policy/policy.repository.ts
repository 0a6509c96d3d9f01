import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { withTransaction, type Pool } from '@audit/db';
import { InjectPool } from '@audit/service-shell';
import type { PolicyInForce } from '../decision/decide-change';
import { compilePolicy, type CompiledPolicy } from './compile-policy';

const PolicyRow = z.object({
  version: z.number().int().positive(),
  document: z.unknown(),
  digest: z.string(),
  published_by: z.string(),
  published_at: z.date(),
  event_id: z.string(),
});
export type StoredPolicy = Omit<z.output<typeof PolicyRow>, 'document'> & { document: CompiledPolicy['document'] };

export interface NewPolicyVersion {
  tenant: string;
  policy: CompiledPolicy;
  publishedBy: string;
  publishedAt: Date;
  eventId: string;
}

/** Versioned, immutable policies per tenant (table approval.policies). */
@Injectable()
export class PolicyRepository {
  /** Compiled policies by digest: compiling CEL is the expensive part of a gate call. */
  private readonly compiled = new Map<string, CompiledPolicy>();

  constructor(@InjectPool() private readonly pool: Pool) {}

  /**
   * Inserts the next version and runs `announce` (publishing the policy.published event) inside the same
   * transaction: a version the ledger never heard of is never in force.
   */
  async append(next: NewPolicyVersion, announce: (version: number) => Promise<void>): Promise<number> {
    return withTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`approval.policies:${next.tenant}`]);
      const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM approval.policies WHERE tenant = $1', [next.tenant]);
      const version = (rows[0]?.v ?? 0) + 1;
      await client.query(
        `INSERT INTO approval.policies (tenant, version, document, digest, published_by, published_at, event_id) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [next.tenant, version, JSON.stringify(next.policy.document), next.policy.digest, next.publishedBy, next.publishedAt, next.eventId],
      );
      await announce(version);
      return version;
    });
  }

  async find(tenant: string, version?: number): Promise<StoredPolicy | undefined> {
    const { rows } = version
      ? await this.pool.query('SELECT version, document, digest, published_by, published_at, event_id::text FROM approval.policies WHERE tenant = $1 AND version = $2', [tenant, version])
      : await this.pool.query('SELECT version, document, digest, published_by, published_at, event_id::text FROM approval.policies WHERE tenant = $1 ORDER BY version DESC LIMIT 1', [tenant]);
    if (rows.length === 0) return undefined;
    const row = PolicyRow.parse(rows[0]);
    return { ...row, document: this.compile(row.digest, row.document).document };
  }

  /** The newest version, compiled: the policy in force. */
  async inForce(tenant: string): Promise<PolicyInForce | undefined> {
    const stored = await this.find(tenant);
    return stored ? { version: stored.version, policy: this.compile(stored.digest, stored.document) } : undefined;
  }

  private compile(digest: string, document: unknown): CompiledPolicy {
    const cached = this.compiled.get(digest);
    if (cached) return cached;
    const result = compilePolicy(document);
    // Stored documents compiled when published; failing now means the table was tampered with or the CEL library changed.
    if (!result.ok) throw new Error(`stored policy ${digest} no longer compiles: ${JSON.stringify(result.issues)}`);
    this.compiled.set(digest, result.policy);
    return result.policy;
  }
}
