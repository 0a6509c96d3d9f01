import { migrateAll } from './migrations';

// `npm run migrate`: applies every service's pending migrations to DATABASE_URL.
async function main(): Promise<void> {
  const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/audit';
  const results = await migrateAll(url);
  for (const r of results) {
    process.stdout.write(`${r.namespace}: ${r.applied.length ? `applied ${r.applied.join(', ')}` : 'up to date'}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
