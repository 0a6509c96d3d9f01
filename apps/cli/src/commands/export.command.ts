import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { AcceptedEvent } from '@audit/contracts';
import { parseVerifierKey } from '@audit/ledger-core';
import { matchesEvent, parseQuery } from '@audit/query-language';
import { writeLedgerExport } from '@audit/ledger-store';
import { UsageError, type CliCommand } from '../command';
import { withDatabase } from '../admin/database';

export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'write a compliance export bundle (records, CSV, changes, signed checkpoint, proofs) from Postgres',
  help: `usage:
  audit-ledger export --tenant <t> [--from <time>] [--to <time>] [--change <changeId>] [--query <q>] [--format bundle|ocsf]
                      --out <bundle.tar.gz> (--vkey <vkey> | --public-key <key.pem>)... [--requested-by <who>]

Reads the tenant's ledger directly from Postgres (DATABASE_URL) and nothing else, and writes a bundle
that verifies offline with \`audit-ledger verify-export\`. --from (inclusive) and --to (exclusive) are
RFC 3339 times of ledger recording (recordedAt), so a time range is a gapless seq range. Only records
covered by the latest signed checkpoint are exported. The checkpoint is verified with the given keys
before anything is written, and the keys travel in the bundle for comparison. Streams rows: memory
stays bounded (about 72 bytes per record for the proof). Progress goes to stderr. --format ocsf adds
events.ocsf.jsonl (each record mapped to an OCSF 1.3.0 event, table in libs/export-bundle/README.md),
covered by the manifest and recomputed by verify-export.

--query takes the search language (e.g. 'type:deployment.* env:prod -outcome:succeeded') and keeps only
the records it matches, evaluated on each record as the ledger holds it (the same matcher as
POST /v1/exports and the alert rules; records whose payload retention removed cannot match and are left
out); every kept record still carries its inclusion proof. A syntax error is shown at its position.
A query that starts with "-" (a negation) is given as --query=-field:value.
Exports made here are not recorded as export.created events (this is the operator's direct database
path); the API records every export it makes.

example:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/audit \\
    audit-ledger export --tenant acme --from 2026-01-01T00:00:00Z --to 2026-04-01T00:00:00Z \\
      --public-key ledger-key.pem --out acme-2026-q1.tar.gz
`,
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        tenant: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        change: { type: 'string' },
        query: { type: 'string' },
        format: { type: 'string' },
        out: { type: 'string' },
        vkey: { type: 'string', multiple: true },
        'public-key': { type: 'string', multiple: true },
        'requested-by': { type: 'string' },
      },
      strict: true,
    });
    if (!values.tenant) throw new UsageError('give --tenant <tenant>');
    if (!values.out) throw new UsageError('give --out <bundle.tar.gz>');
    const filter = values.query === undefined ? undefined : queryFilter(values.query);
    const format = values.format ?? 'bundle';
    if (format !== 'bundle' && format !== 'ocsf') throw new UsageError('--format must be bundle or ocsf');
    const from = time('--from', values.from);
    const to = time('--to', values.to);
    const vkeys = (values.vkey ?? []).map((v) => parseVerifierKey(v));
    const pems = (values['public-key'] ?? []).map((file) => readFileSync(file, 'utf8'));
    if (vkeys.length + pems.length === 0) throw new UsageError('give the ledger key the checkpoint must verify with: --vkey or --public-key');
    const tenant = values.tenant;
    const out = values.out;
    const now = new Date();
    const started = process.hrtime.bigint();
    return withDatabase(io.env, async (pool) => {
      const result = await writeLedgerExport(
        pool,
        {
          tenant,
          exportId: randomUUID(),
          now,
          requestedBy: { id: values['requested-by'] ?? io.env.USER ?? 'cli', roles: [], via: 'cli' },
          request: { ...(from ? { from } : {}), ...(to ? { to } : {}), ...(values.change ? { change: values.change } : {}), ...(values.query !== undefined ? { query: values.query } : {}), ...(format === 'ocsf' ? { format } : {}) },
          ...(filter ? { filter } : {}),
          trustedKeys: vkeys,
          publicKeyPems: pems,
          keySource: 'operator',
          onProgress: (p) => io.stderr(`export: ${p.phase} ${p.records}${p.total ? `/${p.total}` : ''}\n`),
        },
        out,
      );
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const { counts, range, checkpoint } = result.manifest;
      io.stdout(
        `wrote ${out}: tenant ${tenant}, ${counts.records} records (seq ${range.firstSeq}..${range.lastSeq}, ${counts.redacted} redacted), ` +
          `${counts.changes} changes, checkpoint size ${checkpoint.size}, ${result.bytes} bytes, manifest sha256 ${result.manifestSha256} — ` +
          `${seconds.toFixed(2)} s, ${Math.round(counts.records / Math.max(seconds, 1e-3))} records/s\n`,
      );
      return 0;
    });
  },
};

/** The parsed query as a record filter; a syntax error points at its position. */
function queryFilter(source: string): (entry: Record<string, unknown>) => boolean {
  const parsed = parseQuery(source);
  if (!parsed.ok) {
    const { message, position } = parsed.error;
    throw new UsageError(`--query: ${message} at position ${position}\n  ${source}\n  ${' '.repeat(position)}^`);
  }
  const ast = parsed.ast;
  return (entry) => matchesEvent(ast, entry as unknown as AcceptedEvent);
}

/** RFC 3339 with a zone, normalized to UTC milliseconds. */
function time(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new UsageError(`${flag} must be an RFC 3339 time with a zone, e.g. 2026-01-01T00:00:00Z`);
  }
  return new Date(value).toISOString();
}
