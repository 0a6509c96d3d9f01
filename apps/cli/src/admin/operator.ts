import { hostname, userInfo } from 'node:os';
import type { Pool } from '@audit/db';
import { UsageError } from '../command';

/**
 * Who is running an administrative command, from the credentials that let them run it — never from a flag:
 * the database login that authorizes the change (`session_user`, the role DATABASE_URL authenticated as)
 * and the operating-system account of the process (by uid, not $USER, which anyone can set).
 * Recorded as the actor of retention runs and legal-hold changes, e.g. `db:retention_admin,os:alice@ops-1`.
 */
export async function operatorIdentity(pool: Pool, os: { user: string; host: string } = { user: userInfo().username, host: hostname() }): Promise<string> {
  const { rows } = await pool.query<{ session_user: string }>('SELECT session_user');
  return formatOperator(rows[0]?.session_user ?? 'unknown', os);
}

export function formatOperator(dbUser: string, os: { user: string; host: string }): string {
  return `db:${dbUser},os:${os.user}@${os.host}`.slice(0, 256);
}

/** Refuses the old `--by <name>` flag, which let anyone record anyone as the operator. */
export function refuseBy(by: string | undefined): void {
  if (by !== undefined) throw new UsageError('--by is not accepted: the operator is taken from your credentials (the database login and the OS account)');
}
