import { z } from 'zod';

/** Environment of the export jobs (spread into the query service's env in config.ts). */
export const exportsEnv = {
  /** Where finished bundles are kept (`<dir>/<tenant>/<id>.tar.gz`); relative paths are from the working directory. */
  EXPORT_DIR: z.string().min(1).default('.local/exports'),
  /** Export jobs this instance runs at once (each streams; memory is ~72 bytes a record for the proof). */
  EXPORT_CONCURRENCY: z.coerce.number().int().min(1).max(8).default(1),
  /** How often this instance looks for queued jobs (it is also woken right after every POST). */
  EXPORT_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(2_000),
  /** A `running` job whose runner has not written a heartbeat for this long is failed (its runner died). */
  EXPORT_STALE_AFTER_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
  /**
   * Ledger verifier keys (C2SP vkeys, comma-separated) the latest checkpoint must verify with before an
   * export is written. Recommended. Empty = fetch them from the ledger's GET /v1/keys at export time,
   * which is weaker (the keys then come from the server being exported) and is said so in the bundle.
   */
  EXPORT_TRUSTED_KEYS: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((k) => k.trim()).filter(Boolean)),
  /** Base URL the keys are fetched from when EXPORT_TRUSTED_KEYS is empty (default LEDGER_PUBLIC_URL). */
  EXPORT_LEDGER_URL: z.string().url().optional(),
};
