import { z } from 'zod';
import { authEnv } from '@audit/auth';
import { baseEnv, port, serviceCredentialEnv } from '@audit/config';
import { alertingEnv } from './alerting/alerting.config';
import { exportsEnv } from './exports/exports.config';
import { outboundEnv } from './outbound/outbound.config';
import { siemEnv } from './siem/siem.config';

const PROJECTIONS = ['postgres', 'opensearch'] as const;
export type ProjectionName = (typeof PROJECTIONS)[number];

/** Environment of the query service; parsed once in main.ts before Nest starts. */
export const QueryEnv = {
  ...baseEnv,
  ...serviceCredentialEnv,
  ...authEnv,
  PORT: port(3004),
  /**
   * Prefix of the event indices (`<prefix>-<tenant>_<YYYY>.<MM>`) and name of their index template.
   * Tests and benchmarks use their own so they never touch the real indices.
   */
  OPENSEARCH_INDEX_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'must be lowercase letters, digits or dashes')
    .default('audit-events'),
  /** Which projectors this instance runs (comma-separated; empty = none, a read-only replica). */
  QUERY_PROJECTORS: z
    .string()
    .default('postgres,opensearch')
    .transform((s) => s.split(',').map((p) => p.trim()).filter(Boolean))
    .pipe(z.array(z.enum(PROJECTIONS))),
  /** Consumer groups are `<this>-projector-<projection>`: one group per projection, so each has its own offsets and lag. */
  QUERY_CONSUMER_GROUP_PREFIX: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,80}$/).default('query'),
  /** Base URL of the ledger service as clients reach it: inclusion-proof links in change stories point there. */
  LEDGER_PUBLIC_URL: z.string().url().default('http://127.0.0.1:3003'),
  /**
   * How often the search projection checks that it holds every record the ledger holds, and re-indexes a
   * tenant from the ledger when it does not (OpenSearch data reset); 0 = never.
   */
  QUERY_CATCHUP_INTERVAL_MS: z.coerce.number().int().min(0).default(30_000),
  /** Records younger than this may still be on their way through Kafka and are not counted as missing. */
  QUERY_CATCHUP_SETTLE_MS: z.coerce.number().int().min(0).default(60_000),
  /** Largest page of search hits. */
  SEARCH_MAX_SIZE: z.coerce.number().int().min(1).max(1000).default(200),
  ...alertingEnv,
  ...exportsEnv,
  ...siemEnv,
  ...outboundEnv,
};

export type QueryConfig = z.output<z.ZodObject<typeof QueryEnv>>;
