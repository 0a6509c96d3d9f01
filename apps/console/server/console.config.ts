import { z } from 'zod';
import { authEnv } from '@audit/auth';
import { port } from '@audit/config';

const httpUrl = z.string().regex(/^https?:\/\/[^/]+$/, 'must be an http(s) origin without a path, e.g. http://127.0.0.1:3004');

/** Environment of the console server (parsed once, before it listens). */
export const ConsoleEnv = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().default('127.0.0.1'),
  PORT: port(3005),
  /** The query and ledger services the browser reaches through /api/query and /api/ledger. */
  QUERY_URL: httpUrl.default('http://127.0.0.1:3004'),
  LEDGER_URL: httpUrl.default('http://127.0.0.1:3003'),
  /** The built browser bundle (`vite build --config apps/console/vite.config.mjs`). */
  CONSOLE_STATIC_DIR: z.string().default('dist/console'),
  ...authEnv,
};
export type ConsoleConfig = z.output<z.ZodObject<typeof ConsoleEnv>>;
