import { z } from 'zod';
import { baseEnv, port, serviceCredentialEnv } from '@audit/config';
import { beforeFloor, TIME_BOUNDS, tenantId, type OccurredAtBounds } from '@audit/contracts';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

const tenantPatterns = z
  .string()
  .default('{}')
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `must be a JSON object of tenant → patterns: ${(error as Error).message}` });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(
      tenantId,
      z
        .array(
          z
            .string()
            .min(4)
            .max(256)
            .refine((source) => compiles(source), 'must be a valid regular expression that does not match empty text'),
        )
        .max(32),
    ),
  );

function compiles(source: string): boolean {
  try {
    new RegExp(source, 'g');
    return !new RegExp(source).test('');
  } catch {
    return false;
  }
}

/** The default salt is public: production must set its own (see secretScannerFromConfig). */
export const DEV_SECRET_SCAN_SALT = 'development-secret-scan-salt';

/** Environment of the ingest service; parsed once in main.ts before Nest starts. */
export const IngestEnv = {
  ...baseEnv,
  ...serviceCredentialEnv,
  PORT: port(3001),
  /** How long a request waits for Kafka's acks=all before answering 503 + Retry-After. */
  PUBLISH_TIMEOUT_MS: positiveInt(5_000),
  /** Validated events waiting for a Kafka send beyond which requests are refused at once with 503. */
  PUBLISH_MAX_PENDING_EVENTS: positiveInt(20_000),
  /** Most events one coalesced Kafka send carries (concurrent requests share sends). */
  PUBLISH_MAX_EVENTS_PER_SEND: positiveInt(2_000),
  /** Retry-After (seconds) sent with 503 when ingest is over capacity. */
  OVERLOADED_RETRY_AFTER_S: positiveInt(1),
  /** Retry-After (seconds) sent with 503 when Kafka or Postgres is unavailable. */
  UNAVAILABLE_RETRY_AFTER_S: positiveInt(5),
  /** Token bucket per API key (per instance): sustained requests per second and burst size. */
  RATE_LIMIT_PER_SECOND: positiveInt(50),
  RATE_LIMIT_BURST: positiveInt(100),
  /** API keys read from Postgres are cached this long: a revocation takes effect within it. */
  API_KEY_CACHE_MS: z.coerce.number().int().nonnegative().default(10_000),
  /** Idempotency keys are remembered at least this long (the issue asks for ≥ 24 h). */
  IDEMPOTENCY_RETENTION_HOURS: z.coerce.number().int().min(24).default(48),
  /** Largest `terraform show -json` document accepted, bytes. */
  TERRAFORM_MAX_PLAN_BYTES: positiveInt(8 * 1024 * 1024),
  /** Largest Kubernetes audit EventList / GitHub webhook body accepted, bytes. */
  ADAPTER_MAX_BODY_BYTES: positiveInt(4 * 1024 * 1024),
  /** Consume `audit.intake.v1` (emitters inside the cluster). */
  INTAKE_ENABLED: flag(true),
  INTAKE_GROUP_ID: z.string().min(1).default('ingest-intake'),
  /**
   * Events that claim to have happened before this are refused (422 on HTTP, DLQ on the intake topic).
   * The default refuses the usual unset clocks (Go's 0001-01-01, Unix time 0); never before 1970.
   */
  EVENT_EARLIEST_OCCURRED_AT: z.iso
    .datetime({ offset: true, message: 'must be an RFC 3339 timestamp with a time zone' })
    .default(TIME_BOUNDS.defaultEarliest)
    .refine((v) => !beforeFloor(v), { message: `must not be before ${TIME_BOUNDS.floor}` }),
  /** Apply this service's migrations at boot (off when a separate job migrates). */
  MIGRATE_ON_START: flag(true),
  /**
   * Salt of the digest in secret markers (`[REDACTED:kind:<8 hex>]`): with it the same leaked secret shows
   * the same marker; without it nobody can test guesses against a marker. Set a random value per deployment.
   */
  SECRET_SCAN_SALT: z.string().min(16, 'must be at least 16 characters').default(DEV_SECRET_SCAN_SALT),
  /**
   * Per-tenant extra secret shapes, as JSON `{"<tenant>": ["<regex>", …]}` (e.g. `{"acme": ["ACME-[0-9A-F]{24}"]}`):
   * each whole match becomes `[REDACTED:tenant-pattern:…]`. Operator config: the patterns are trusted code.
   */
  SECRET_SCAN_TENANT_PATTERNS: tenantPatterns,
};

export type IngestConfig = z.output<z.ZodObject<typeof IngestEnv>>;

/** The occurredAt bounds every door of this service applies (the future skew is the contract's). */
export function occurredAtBounds(config: Pick<IngestConfig, 'EVENT_EARLIEST_OCCURRED_AT'>): OccurredAtBounds {
  return { earliest: new Date(config.EVENT_EARLIEST_OCCURRED_AT), maxFutureSkewMs: TIME_BOUNDS.maxFutureSkewMs };
}
