import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/** Structured JSON logs to stdout; every line carries the service name. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', '*.apiKey', '*.password'], censor: '[redacted]' },
  });
}
