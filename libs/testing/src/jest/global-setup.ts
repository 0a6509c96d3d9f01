import { startInfrastructure } from '../infrastructure';
import { ensureServiceCredential } from '../service-credential';
import { migrateAll } from '@audit/tools/migrations';

/**
 * Starts the real Kafka, Postgres and OpenSearch once for the integration project (testcontainers when a
 * Docker engine answers, the project's launcher otherwise), runs every migration once, and hands the
 * addresses to the test workers through the environment.
 */
export default async function globalSetup(): Promise<void> {
  const infra = await startInfrastructure();
  process.env.KAFKA_BROKERS = infra.kafkaBrokers;
  process.env.DATABASE_URL = infra.databaseUrl;
  process.env.OPENSEARCH_URL = infra.opensearchUrl;
  // One service credential per test run, like one per deployment: the services and the ledger share it.
  ensureServiceCredential();
  await migrateAll(infra.databaseUrl);
  process.stdout.write(
    `\n[integration] real infrastructure via ${infra.via}: kafka=${infra.kafkaBrokers} postgres=${redact(infra.databaseUrl)} opensearch=${infra.opensearchUrl}\n`,
  );
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');
}
