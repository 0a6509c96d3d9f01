import { EVENT_LIMITS } from '@audit/contracts';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from '@audit/observability';
import { PinoNestLogger, registerHttpTracing } from '@audit/observability/nest';
import { AppModule, type IngestOverrides } from './app.module';
import type { IngestConfig } from './config';
import { configureHttp } from './http/http-setup';
import { ProblemFilter } from './http/problem.filter';

/**
 * Builds the ingest app (initialized, not listening): main.ts listens on it, tests drive it with
 * `app.inject()`. Nest's body parsers are off; ours keep the raw bytes (signatures, digests, idempotency).
 */
export async function createIngestApp(config: IngestConfig, logger: Logger, overrides: IngestOverrides = {}): Promise<NestFastifyApplication> {
  const max = Math.max(EVENT_LIMITS.maxBatchBytes, config.TERRAFORM_MAX_PLAN_BYTES, config.ADAPTER_MAX_BODY_BYTES);
  const adapter = new FastifyAdapter({ bodyLimit: max, trustProxy: false });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger, overrides), adapter, {
    logger: new PinoNestLogger(logger),
    bodyParser: false,
    abortOnError: false,
  });
  configureHttp(app.getHttpAdapter().getInstance(), {
    max,
    perRoute: {
      '/v1/events': EVENT_LIMITS.maxEventBytes,
      '/v1/events::batch': EVENT_LIMITS.maxBatchBytes,
      '/v1/events:batch': EVENT_LIMITS.maxBatchBytes,
      '/v1/adapters/terraform/plan': config.TERRAFORM_MAX_PLAN_BYTES,
    },
  });
  registerHttpTracing(app.getHttpAdapter().getInstance());
  app.useGlobalFilters(new ProblemFilter(logger));
  app.enableShutdownHooks();
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
