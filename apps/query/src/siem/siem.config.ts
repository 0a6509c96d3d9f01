import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { tenantId } from '@audit/contracts';

/** Path Splunk's HTTP Event Collector takes JSON events on; appended when a HEC URL has no path. */
export const HEC_EVENT_PATH = '/services/collector/event';

const httpUrl = z
  .string()
  .url('must be a URL')
  .refine((s) => /^https?:\/\//.test(s), { message: 'must be an http(s):// URL' });

/** One SIEM sink: where committed records go, in which format, for which tenants, batched how. */
export const SiemSinkConfig = z
  .strictObject({
    /** Names the sink's consumer group (`<prefix>-siem-<name>`), its positions and its metrics. */
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,40}$/, 'must be 1-41 lowercase letters, digits, _ or -'),
    /** `splunk-hec`: HEC JSON events, `Authorization: Splunk <token>`; `ndjson`: one committed record per line. */
    format: z.enum(['splunk-hec', 'ndjson']),
    /** For `splunk-hec` a URL with no path gets `/services/collector/event`. */
    url: httpUrl,
    /** The secret, inline (the whole list is an environment variable already), or… */
    token: z.string().min(1, 'must not be empty').optional(),
    /** …the name of another environment variable that holds it, or… */
    tokenEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').optional(),
    /** …a file that holds it (a mounted secret; surrounding whitespace is trimmed). */
    tokenFile: z.string().min(1, 'must not be empty').optional(),
    /** Only these tenants' records; absent = every tenant. */
    tenants: z.array(tenantId).min(1, 'must list at least one tenant (leave it out for all tenants)').optional(),
    /** HEC metadata. `host` and `index` are left out of the events when unset (the token's defaults apply). */
    source: z.string().min(1).max(200).default('audit-ledger'),
    sourcetype: z.string().min(1).max(200).default('audit-ledger:committed'),
    index: z.string().min(1).max(200).optional(),
    host: z.string().min(1).max(200).optional(),
    /** A request carries at most this many events… */
    batchMaxEvents: z.number().int().min(1).max(10_000).default(500),
    /** …and at most this many bytes before compression (one larger event still goes, alone). */
    batchMaxBytes: z.number().int().min(1_024).max(50_000_000).default(1_000_000),
    gzip: z.boolean().default(false),
    timeoutMs: z.number().int().min(100).max(300_000).default(10_000),
    /** Backoff after a retryable failure (5xx, 408, 429, timeout, connection error): doubles from base up to max. */
    retryBaseMs: z.number().int().min(10).max(60_000).default(500),
    retryMaxMs: z.number().int().min(100).max(3_600_000).default(60_000),
    /** Wait between attempts while the receiver refuses the request as wrong (4xx other than 408/429). */
    rejectedRetryMs: z.number().int().min(100).max(3_600_000).default(300_000),
  })
  .refine((s) => [s.token, s.tokenEnv, s.tokenFile].filter((t) => t !== undefined).length <= 1, {
    message: 'give at most one of token, tokenEnv, tokenFile',
    path: ['token'],
  })
  .refine((s) => s.format !== 'splunk-hec' || s.token !== undefined || s.tokenEnv !== undefined || s.tokenFile !== undefined, {
    message: 'a splunk-hec sink needs a token (token, tokenEnv or tokenFile)',
    path: ['token'],
  })
  .refine((s) => s.retryBaseMs <= s.retryMaxMs, { message: 'must not be greater than retryMaxMs', path: ['retryBaseMs'] })
  .transform((s) => ({ ...s, url: s.format === 'splunk-hec' ? withHecPath(s.url) : s.url }));
export type SiemSinkConfig = z.output<typeof SiemSinkConfig>;

function withHecPath(url: string): string {
  const parsed = new URL(url);
  if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = HEC_EVENT_PATH;
  return parsed.toString();
}

/** `SIEM_SINKS`: a JSON array of sinks; unset or empty = no sink, the module does nothing. */
export const SiemSinksJson = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `must be a JSON array of sinks: ${(error as Error).message}` });
      return z.NEVER;
    }
  })
  .pipe(
    z.array(SiemSinkConfig).refine((sinks) => new Set(sinks.map((s) => s.name)).size === sinks.length, {
      message: 'sink names must be unique',
    }),
  );

/** Environment of the SIEM sinks (spread into the query service's env in config.ts). */
export const siemEnv = {
  /** JSON array of sinks (see README "SIEM sinks"); secrets preferably through tokenEnv or tokenFile. */
  SIEM_SINKS: SiemSinksJson.default([]),
  /** How often each sink's lag (high watermark − committed offset, per partition) is measured. */
  SIEM_LAG_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
};

/** Reads a sink's secret from where its config says; throws naming the sink and the source, never the value. */
export function resolveSinkToken(
  sink: SiemSinkConfig,
  env: NodeJS.ProcessEnv = process.env,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): string | undefined {
  if (sink.token !== undefined) return sink.token;
  if (sink.tokenEnv !== undefined) {
    const value = env[sink.tokenEnv];
    if (!value) throw new Error(`SIEM sink "${sink.name}": tokenEnv names ${sink.tokenEnv}, which is not set`);
    return value;
  }
  if (sink.tokenFile !== undefined) {
    let value: string;
    try {
      value = readFile(sink.tokenFile).trim();
    } catch (error) {
      throw new Error(`SIEM sink "${sink.name}": tokenFile ${sink.tokenFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (!value) throw new Error(`SIEM sink "${sink.name}": tokenFile ${sink.tokenFile} is empty`);
    return value;
  }
  return undefined;
}

/** The URL as it may appear in logs: no user info, no query string (either may carry a secret). */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}
