import { z } from 'zod';
import { baseEnv, port, serviceCredentialEnv } from '@audit/config';
import { authEnv } from '@audit/auth';

/** Environment of the ledger service; parsed once in main.ts before Nest starts. */
export const LedgerEnv = {
  ...baseEnv,
  ...serviceCredentialEnv,
  ...authEnv,
  PORT: port(3003),
  /** Postgres role the writer acts as: INSERT/SELECT only on the log (see migrations/0002). */
  LEDGER_DB_ROLE: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('audit_ledger_writer'),
  LEDGER_CONSUMER_GROUP: z.string().min(1).default('ledger-writer'),
  /** Kafka session timeout: how long a dead writer keeps its partitions before another takes over. */
  LEDGER_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).max(300_000).default(30_000),
  /** Most events appended in one Postgres transaction. */
  /**
   * Partitions one instance appends at the same time, each in its own transaction (tenants never share a
   * partition, so these never wait on each other's chain heads). 1 = one transaction at a time.
   */
  LEDGER_PARTITION_CONCURRENCY: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(32, 'must be at most 32').default(1),
  LEDGER_MAX_BATCH: z.coerce.number().int().min(1).max(20_000).default(5_000),
  /** Sign a checkpoint for a tenant with new records at least this often… */
  CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(50).default(1_000),
  /** …or as soon as this many records accumulated since its last checkpoint… */
  CHECKPOINT_EVERY_N: z.coerce.number().int().min(1).default(10_000),
  /** …and re-sign an idle tenant's head this often, so a stopped log is visible. */
  CHECKPOINT_HEARTBEAT_MS: z.coerce.number().int().min(1_000).default(60_000),
  /** Origin line of checkpoints: `<origin>/tenant/<tenant>`. */
  CHECKPOINT_ORIGIN: z.string().regex(/^[a-z0-9.-]+$/).default('audit-ledger.local'),
  /** Ed25519 signing key (PKCS#8 PEM) as text or as a file; in development one is generated into .local/keys. */
  LEDGER_SIGNING_KEY: z.string().optional(),
  LEDGER_SIGNING_KEY_FILE: z.string().optional(),
  LEDGER_KEY_NAME: z.string().regex(/^[A-Za-z0-9._-]+$/).default('audit-ledger-dev'),
  /** Retired public keys still trusted for old checkpoints: comma-separated C2SP vkeys. */
  LEDGER_TRUSTED_KEYS: z.string().default(''),
  /** Continuous verification (src/verification) on or off; tests that count every record of a log turn it off. */
  LEDGER_VERIFY_ENABLED: z
    .enum(['true', 'false', '1', '0'])
    .default('true')
    .transform((v) => v === 'true' || v === '1'),
  /** Check what was signed since the last tick this often… */
  LEDGER_VERIFY_INTERVAL_MS: z.coerce.number().int().min(100, 'must be at least 100').default(10_000),
  /** …and re-verify every tenant's whole log from seq 1 this often (catches edits of old rows). */
  LEDGER_VERIFY_FULL_INTERVAL_MS: z.coerce.number().int().min(100, 'must be at least 100').default(3_600_000),
  /** A success is recorded in the ledger at most this often per tenant, and only when the log grew. */
  LEDGER_VERIFY_SUCCESS_EVERY_MS: z.coerce.number().int().min(0).default(300_000),
  /** How long a fresh redaction may wait for its retention run's event before it counts as unrecorded. */
  LEDGER_VERIFY_REDACTION_GRACE_MS: z.coerce.number().int().min(0).default(120_000),
};
