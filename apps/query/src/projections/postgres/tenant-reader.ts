import { withTransaction, type Pool, type PoolClient } from '@audit/db';

/**
 * Runs `fn` in a read-only transaction as `audit_query_reader` with `app.tenant` set: row-level security
 * then shows only that tenant's rows, whatever SQL `fn` runs. Both settings are transaction-local, so a
 * pooled connection never carries them into the next request.
 */
export function withTenantReader<T>(pool: Pool, tenant: string, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  return withTransaction(pool, async (client) => {
    await client.query('SET TRANSACTION READ ONLY');
    await client.query('SET LOCAL ROLE audit_query_reader');
    await client.query("SELECT set_config('app.tenant', $1, true)", [tenant]);
    return fn(client);
  });
}

/** The projector's and rebuild's writes: as `audit_query_projector`, the one role with a write policy. */
export function withProjectorWriter<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  return withTransaction(pool, async (client) => {
    await client.query('SET LOCAL ROLE audit_query_projector');
    return fn(client);
  });
}

/** Serialises the live projector and a rebuild of the same tenant (transaction-scoped). */
export async function lockTenant(client: PoolClient, tenant: string): Promise<void> {
  await client.query("SELECT pg_advisory_xact_lock(hashtext('query.lifecycle'), hashtext($1))", [tenant]);
}
