export * from './tokens';
export * from './health.http.controller';
export * from './metrics.http.controller';
export * from './pino-nest.logger';
export * from './bootstrap';
export * from './http-tracing';
