import 'reflect-metadata';
import { loadConfigOrExit } from '@audit/config';
import { createLogger, initTracing } from '@audit/observability';
import { awaitDependencies } from '@audit/service-shell';
import { startHttpService } from '@audit/observability/nest';
import { AppModule, USES } from './app.module';
import { ApprovalPolicyEnv } from './config';

async function main(): Promise<void> {
  const config = loadConfigOrExit('approval-policy', ApprovalPolicyEnv);
  const logger = createLogger('approval-policy', config.LOG_LEVEL);
  initTracing('approval-policy', { ...(config.OTEL_EXPORTER_OTLP_ENDPOINT ? { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT } : {}) });
  // Kafka, Postgres or OpenSearch not up yet (a machine starting, a broker restarting): wait, saying so.
  await awaitDependencies({ service: 'approval-policy', logger, config, uses: USES });
  await startHttpService({ module: AppModule.forRoot(config, logger), logger, host: config.HOST, port: config.PORT });
}

void main().catch((error: unknown) => {
  process.stderr.write(`approval-policy failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
