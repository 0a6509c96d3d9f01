import { createPool, type Pool } from '@audit/db';

/** The admin commands write to the ingest service's tables directly (DATABASE_URL). */
export async function withDatabase<T>(env: NodeJS.ProcessEnv, fn: (pool: Pool) => Promise<T>): Promise<T> {
  const url = env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/audit';
  const pool = createPool(url, { max: 1 });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}
