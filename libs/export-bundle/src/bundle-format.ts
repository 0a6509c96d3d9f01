import { z } from 'zod';

/** Version tag written in every manifest; a verifier refuses formats it does not know. */
export const BUNDLE_FORMAT = 'audit-ledger-export/v1';

/** Every file of a bundle, by role. `manifest.json` lists all the others with their SHA-256. */
export const BUNDLE_FILES = {
  manifest: 'manifest.json',
  readme: 'README.txt',
  events: 'events.jsonl',
  csv: 'events.csv',
  /** Only when the request asked for `format: "ocsf"`: one OCSF event per record with a payload (see ocsf.ts). */
  ocsf: 'events.ocsf.jsonl',
  changes: 'changes.json',
  checkpoint: 'proof/checkpoint.note',
  leaves: 'proof/leaves.txt',
  multiproof: 'proof/multiproof.txt',
  verifierKeys: 'keys/verifier-keys.txt',
} as const;

/** Public keys travel as `keys/<n>.pem` (SPKI), numbered from 1 in the order of verifier-keys.txt. */
export const PEM_FILE = /^keys\/public-key-[1-9][0-9]{0,2}\.pem$/;

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const base64Hash = z.string().regex(/^[A-Za-z0-9+/]{43}=$/);
const isoTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/);

export const ExportRequest = z.strictObject({
  from: isoTime.optional(),
  to: isoTime.optional(),
  query: z.string().max(1024).optional(),
  change: z.string().max(128).optional(),
  /** `ocsf` adds events.ocsf.jsonl; absent means `bundle`. */
  format: z.enum(['bundle', 'ocsf']).optional(),
});
export type ExportRequest = z.infer<typeof ExportRequest>;

export const BundleManifest = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  exportId: z.string().min(1).max(128),
  tenant: z.string().min(1).max(128),
  createdAt: isoTime,
  requestedBy: z.strictObject({ id: z.string().min(1).max(256), roles: z.array(z.string().max(128)).max(64), via: z.enum(['api', 'cli']) }),
  request: ExportRequest,
  /**
   * Whether the request selected a gapless seq range (time range only, no query/change filter). The
   * verifier then also checks that no seq between firstSeq and lastSeq is missing.
   */
  contiguous: z.boolean(),
  range: z.strictObject({ firstSeq: z.number().int().min(0), lastSeq: z.number().int().min(0) }),
  counts: z.strictObject({ records: z.number().int().min(0), redacted: z.number().int().min(0), changes: z.number().int().min(0) }),
  checkpoint: z.strictObject({ origin: z.string().min(1), size: z.number().int().min(1), rootHash: base64Hash }),
  /**
   * Where the exporter got the keys it checked the checkpoint with before writing: `operator` (given by
   * whoever ran it: CLI flags, service configuration) or `ledger-service` (fetched from the ledger's
   * GET /v1/keys, i.e. from the server being exported: weaker). Recipients verify with their own key anyway.
   */
  keySource: z.enum(['operator', 'ledger-service']).optional(),
  files: z
    .array(z.strictObject({ path: z.string().min(1).max(100), sha256: sha256Hex, bytes: z.number().int().min(0) }))
    .min(1)
    .max(64),
});
export type BundleManifest = z.infer<typeof BundleManifest>;

/** Columns of events.csv before provenance existed: bundles written then still verify (their header says so). */
export const CSV_COLUMNS_V1 = [
  'seq',
  'event_id',
  'type',
  'occurred_at',
  'received_at',
  'recorded_at',
  'actor_id',
  'actor_type',
  'actor_roles',
  'actor_teams',
  'resource_kind',
  'resource_id',
  'resource_environment',
  'change_id',
  'outcome',
  'artifact_digest',
  'commit_repo',
  'commit_sha',
  'source_system',
  'source_run_id',
  'reason',
  'redacted',
  'leaf_hash',
] as const;

/** Columns of events.csv, in order (documented in the README): v1's, then who asserted each record. */
export const CSV_COLUMNS = [...CSV_COLUMNS_V1, 'provenance_kind', 'provenance_id', 'provenance_via'] as const;

export const CSV_HEADER = `${CSV_COLUMNS.join(',')}\r\n`;
export const CSV_HEADER_V1 = `${CSV_COLUMNS_V1.join(',')}\r\n`;
export type CsvLayout = 'current' | 'v1';

/**
 * One CSV row (RFC 4180, CRLF) of a record; `entry` null for a record whose payload retention redacted.
 * Multi-valued fields are joined with `;`. A cell starting with `=`, `+`, `-`, `@`, tab or CR is
 * prefixed with `'` so spreadsheet programs do not run it as a formula (CSV injection).
 */
export function csvRow(seq: number, entry: Record<string, unknown> | null, leafHash: Buffer, layout: CsvLayout = 'current'): string {
  const e = entry ?? {};
  const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  const actor = obj(e.actor);
  const resource = obj(e.resource);
  const artifact = obj(e.artifact);
  const commit = obj(e.commit);
  const source = obj(e.source);
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String).join(';') : '');
  const cells: unknown[] = [
    seq,
    e.id,
    e.type,
    e.occurredAt,
    e.receivedAt,
    e.recordedAt,
    actor.id,
    actor.type,
    list(actor.roles),
    list(actor.teams),
    resource.kind,
    resource.id,
    resource.environment,
    e.changeId,
    e.outcome,
    artifact.digest,
    commit.repo,
    commit.sha,
    source.system,
    source.runId,
    e.reason,
    entry === null ? 'true' : 'false',
    leafHash.toString('base64'),
  ];
  if (layout === 'current') {
    const provenance = obj(e.provenance);
    cells.push(provenance.kind, provenance.id, provenance.via);
  }
  return `${cells.map(csvCell).join(',')}\r\n`;
}

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
