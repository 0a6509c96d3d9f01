import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';

export interface MigrationResult {
  namespace: string;
  applied: string[];
}

const MIGRATION_FILE = /^(\d{4})_[a-z0-9_]+\.sql$/;

/**
 * Applies the versioned SQL files of one service (`NNNN_name.sql`, in order) that have not run yet.
 * Each file runs in its own transaction together with its bookkeeping row; a file that changed after it
 * was applied is an error (its checksum is recorded), never silently re-run. An advisory lock keeps two
 * instances from migrating at once.
 */
export async function runMigrations(pool: Pool, namespace: string, dir: string): Promise<MigrationResult> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  for (const f of files) {
    if (!MIGRATION_FILE.test(f)) throw new Error(`migration file ${join(dir, f)} must be named NNNN_lowercase_name.sql`);
  }
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', ['audit-ledger-migrations']);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      namespace text NOT NULL,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (namespace, name))`);
    const { rows } = await client.query<{ name: string; checksum: string }>(
      'SELECT name, checksum FROM schema_migrations WHERE namespace = $1',
      [namespace],
    );
    const done = new Map(rows.map((r) => [r.name, r.checksum]));
    const applied: string[] = [];
    for (const file of files) {
      const sql = readFileSync(join(dir, file), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      const previous = done.get(file);
      if (previous !== undefined) {
        if (previous !== checksum) throw new Error(`migration ${namespace}/${file} changed after it was applied`);
        continue;
      }
      // Same connection as the advisory lock, so the lock covers the work.
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (namespace, name, checksum) VALUES ($1, $2, $3)', [namespace, file, checksum]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${namespace}/${file} failed: ${(error as Error).message}`);
      }
      applied.push(file);
    }
    return { namespace, applied };
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', ['audit-ledger-migrations']).catch(() => undefined);
    client.release();
  }
}
