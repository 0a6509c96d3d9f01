import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createPool, runMigrations, type MigrationResult } from '@audit/db';

/** Services in the order their schemas build on each other. */
export const MIGRATION_SETS = ['ingest', 'ledger', 'approval-policy', 'query'] as const;

const REPO_ROOT = join(__dirname, '..');

export async function migrateAll(databaseUrl: string): Promise<MigrationResult[]> {
  const pool = createPool(databaseUrl, { max: 1 });
  try {
    const results: MigrationResult[] = [];
    for (const service of MIGRATION_SETS) {
      const dir = join(REPO_ROOT, 'apps', service, 'migrations');
      if (existsSync(dir)) results.push(await runMigrations(pool, service, dir));
    }
    return results;
  } finally {
    await pool.end();
  }
}
