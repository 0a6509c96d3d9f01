import 'reflect-metadata';
import { loadConfigOrExit } from '@audit/config';
import { createLogger, initTracing } from '@audit/observability';
import { awaitDependencies } from '@audit/service-shell';
import { startHttpService } from '@audit/observability/nest';
import { AppModule, USES } from './app.module';
import { LedgerEnv } from './config';

async function main(): Promise<void> {
  const config = loadConfigOrExit('ledger', LedgerEnv);
  const logger = createLogger('ledger', config.LOG_LEVEL);
  initTracing('ledger', { ...(config.OTEL_EXPORTER_OTLP_ENDPOINT ? { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT } : {}) });
  // Kafka, Postgres or OpenSearch not up yet (a machine starting, a broker restarting): wait, saying so.
  await awaitDependencies({ service: 'ledger', logger, config, uses: USES });
  await startHttpService({ module: AppModule.forRoot(config, logger), logger, host: config.HOST, port: config.PORT });
}

void main().catch((error: unknown) => {
  process.stderr.write(`ledger failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
