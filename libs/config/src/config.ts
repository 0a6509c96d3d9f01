import { z } from 'zod';

/** Raised when the environment does not satisfy a service's schema; lists every bad variable at once. */
export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`invalid environment:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const brokerList = z
  .string()
  .min(1)
  .transform((s) => s.split(',').map((b) => b.trim()))
  .refine((list) => list.every((b) => /^[A-Za-z0-9.-]+:\d{1,5}$/.test(b)), { message: 'must be a comma-separated list of host:port' });

const postgresUrl = z.string().refine((s) => /^postgres(ql)?:\/\/.+/.test(s), { message: 'must be a postgres:// URL' });
const httpUrl = z.string().refine((s) => /^https?:\/\/.+/.test(s), { message: 'must be an http(s):// URL' });

/** Variables every service reads. Services extend this with their own. */
export const baseEnv = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().default('127.0.0.1'),
  KAFKA_BROKERS: brokerList.default(['127.0.0.1:9092']),
  DATABASE_URL: postgresUrl.default('postgres://postgres@127.0.0.1:5432/audit'),
  OPENSEARCH_URL: httpUrl.default('http://127.0.0.1:9200'),
  /** OTLP/HTTP collector base URL (e.g. http://otel-collector:4318); tracing is off when unset. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  /** Prefix for every topic name, so environments or test runs can share a cluster. */
  KAFKA_TOPIC_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'must be lowercase letters, digits or dashes')
    .default(''),
  /**
   * Partitions of the topics a service creates when they are missing. Tenants are the message key, so this
   * bounds how many instances of a service share the work. Existing topics are never changed (see README).
   */
  /** TLS to the brokers (trust: the system store plus NODE_EXTRA_CA_CERTS). */
  KAFKA_SSL: z.enum(['true', 'false'], { message: 'must be true or false' }).default('false').transform((v) => v === 'true'),
  /** SASL authentication to the brokers; needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD. Off when unset. */
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512'], { message: 'must be plain, scram-sha-256 or scram-sha-512' }).optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  /** A secret: comes from a Secret object, never from the ConfigMap, and is never logged. */
  KAFKA_SASL_PASSWORD: z.string().optional(),
  /** A consumed partition with waiting messages that does not move for this long is stalled: `/readyz` degraded, `consumer_partition_stalled` 1. */
  CONSUMER_STALL_SECONDS: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(86_400, 'must be at most 86400').default(60),
  KAFKA_TOPIC_PARTITIONS: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(3),
};

export const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

/** Parses `env` against `shape`; throws a ConfigError naming every bad variable. */
export function parseEnv<S extends z.ZodRawShape>(shape: S, env: NodeJS.ProcessEnv = process.env): z.output<z.ZodObject<S>> {
  // Empty strings count as unset so `FOO=` falls back to the default instead of failing obscurely.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const result = z.object(shape).safeParse(cleaned);
  const problems = result.success ? [] : result.error.issues.map((i) => ({ variable: i.path.join('.') || '(env)', message: i.message }));
  problems.push(...crossChecks(shape, cleaned));
  if (!result.success || problems.length > 0) throw new ConfigError(problems);
  return result.data;
}

/** Rules that span variables, checked whenever the shape has the variables in question. */
function crossChecks(shape: z.ZodRawShape, env: Record<string, string | undefined>): { variable: string; message: string }[] {
  if (!('KAFKA_SASL_MECHANISM' in shape)) return [];
  const problems: { variable: string; message: string }[] = [];
  const sasl = env.KAFKA_SASL_MECHANISM !== undefined;
  for (const variable of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD']) {
    if (sasl && env[variable] === undefined) problems.push({ variable, message: 'is required when KAFKA_SASL_MECHANISM is set' });
    if (!sasl && env[variable] !== undefined) problems.push({ variable, message: 'is only used with KAFKA_SASL_MECHANISM, which is not set' });
  }
  return problems;
}

/** For `main.ts`: parse before Nest starts; on error print every bad variable and exit 1 at once. */
export function loadConfigOrExit<S extends z.ZodRawShape>(service: string, shape: S, env: NodeJS.ProcessEnv = process.env): z.output<z.ZodObject<S>> {
  try {
    return parseEnv(shape, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${service}: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
