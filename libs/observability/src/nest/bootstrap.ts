import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { registerHttpTracing } from './http-tracing';
import { PinoNestLogger } from './pino-nest.logger';

export interface HttpServiceOptions {
  module: unknown;
  logger: Logger;
  host: string;
  port: number;
  /** Largest request body accepted, bytes (larger → 413). */
  bodyLimit?: number;
  /** Runs after the app is created and before it listens (register content-type parsers, docs, …). */
  configure?(app: NestFastifyApplication): void | Promise<void>;
}

/** Creates a NestJS service on Fastify with structured logs and graceful shutdown, and starts listening. */
export async function startHttpService(options: HttpServiceOptions): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: options.bodyLimit ?? 1024 * 1024, trustProxy: false });
  const app = await NestFactory.create<NestFastifyApplication>(options.module as never, adapter, {
    logger: new PinoNestLogger(options.logger),
    bufferLogs: false,
  });
  app.enableShutdownHooks();
  registerHttpTracing(app.getHttpAdapter().getInstance());
  await options.configure?.(app);
  await app.listen(options.port, options.host);
  options.logger.info({ url: `http://${options.host}:${options.port}` }, 'listening');
  return app;
}
