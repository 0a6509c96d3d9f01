import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from '@audit/observability';
import { PinoNestLogger } from '@audit/observability/nest';
import { AppModule, type QueryOverrides } from './app.module';
import type { QueryConfig } from './config';
import { ProblemFilter } from './http/problem.filter';
import { registerStrictJsonBody } from './http/strict-json-body';

/** Builds the query app (initialized, not listening): main.ts listens on it, tests use `app.inject()`. */
export async function createQueryApp(config: QueryConfig, logger: Logger, overrides: QueryOverrides = {}): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger, overrides), new FastifyAdapter({ trustProxy: false }), {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    bodyParser: false,
  });
  registerStrictJsonBody(app.getHttpAdapter().getInstance());
  app.useGlobalFilters(new ProblemFilter(logger));
  app.enableShutdownHooks();
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
