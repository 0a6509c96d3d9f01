import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { loadConfigOrExit } from '@audit/config';
import { tenantId } from '@audit/contracts';
import { createPool } from '@audit/db';
import { createKafka } from '@audit/kafka';
import { createLogger } from '@audit/observability';
import { QueryEnv, type ProjectionName } from '../config';
import { rebuildProjection } from './projection.rebuild';

const USAGE = `usage: node -r @swc-node/register apps/query/src/rebuild/rebuild.ts --projection postgres|opensearch|all --tenant <tenant> [--tenant <tenant> …]
Drops the tenant's rows of the projection, replays the committed log into it, and prints the checksums
before and after as JSON lines. Exits 1 if any checksum differs. Environment as for the service.`;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { projection: { type: 'string' }, tenant: { type: 'string', multiple: true }, help: { type: 'boolean' } } });
  const projections: ProjectionName[] = values.projection === 'all' ? ['postgres', 'opensearch'] : values.projection === 'postgres' || values.projection === 'opensearch' ? [values.projection] : [];
  const tenants = values.tenant ?? [];
  if (values.help || projections.length === 0 || tenants.length === 0 || !tenants.every((t) => tenantId.safeParse(t).success)) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const config = loadConfigOrExit('query-rebuild', QueryEnv);
  const logger = createLogger('query-rebuild', config.LOG_LEVEL);
  const pool = createPool(config.DATABASE_URL, { max: 2 });
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'query-rebuild', logger, security: config });
  const opensearch = new OpenSearchClient({ node: config.OPENSEARCH_URL, requestTimeout: 60_000 });
  let allSame = true;
  try {
    for (const tenant of tenants) {
      for (const projection of projections) {
        const report = await rebuildProjection({ config, pool, kafka, opensearch, logger }, projection, tenant);
        allSame &&= report.same;
        process.stdout.write(`${JSON.stringify(report)}\n`);
      }
    }
  } finally {
    await pool.end();
    await opensearch.close();
  }
  return allSame ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`rebuild failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
