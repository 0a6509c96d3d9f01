import 'reflect-metadata';
import { loadConfigOrExit } from '@audit/config';
import { createLogger, initTracing } from '@audit/observability';
import { awaitDependencies } from '@audit/service-shell';
import { USES } from './app.module';
import { QueryEnv } from './config';
import { createQueryApp } from './query.app';

async function main(): Promise<void> {
  const config = loadConfigOrExit('query', QueryEnv);
  const logger = createLogger('query', config.LOG_LEVEL);
  initTracing('query', { ...(config.OTEL_EXPORTER_OTLP_ENDPOINT ? { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT } : {}) });
  // Kafka, Postgres or OpenSearch not up yet (a machine starting, a broker restarting): wait, saying so.
  await awaitDependencies({ service: 'query', logger, config, uses: USES });
  const app = await createQueryApp(config, logger);
  await app.listen(config.PORT, config.HOST);
  logger.info({ url: `http://${config.HOST}:${config.PORT}` }, 'listening');
}

void main().catch((error: unknown) => {
  process.stderr.write(`query failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
