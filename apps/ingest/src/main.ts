import 'reflect-metadata';
import { join } from 'node:path';
import { loadConfigOrExit } from '@audit/config';
import { createPool, runMigrations } from '@audit/db';
import { createLogger, initTracing } from '@audit/observability';
import { awaitDependencies } from '@audit/service-shell';
import { USES } from './app.module';
import { IngestEnv } from './config';
import { createIngestApp } from './ingest.app';

async function main(): Promise<void> {
  const config = loadConfigOrExit('ingest', IngestEnv);
  const logger = createLogger('ingest', config.LOG_LEVEL);
  initTracing('ingest', { ...(config.OTEL_EXPORTER_OTLP_ENDPOINT ? { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT } : {}) });
  // Kafka, Postgres or OpenSearch not up yet (a machine starting, a broker restarting): wait, saying so.
  await awaitDependencies({ service: 'ingest', logger, config, uses: USES });
  if (config.MIGRATE_ON_START) {
    const pool = createPool(config.DATABASE_URL, { max: 1 });
    try {
      const result = await runMigrations(pool, 'ingest', join(__dirname, '..', 'migrations'));
      logger.info({ applied: result.applied }, 'migrations');
    } finally {
      await pool.end();
    }
  }
  const app = await createIngestApp(config, logger);
  await app.listen(config.PORT, config.HOST);
  logger.info({ url: `http://${config.HOST}:${config.PORT}` }, 'listening');
}

void main().catch((error: unknown) => {
  process.stderr.write(`ingest failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
