import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseVerifierKey, verifierKeyFromPem, type VerifierKey, type VerifyFailure, type VerifyResult } from '@audit/ledger-core';
import { auditTenantRedactions, tenantsInLedger, verifyTenantLedger } from '@audit/ledger-store';
import { UsageError, type CliCommand } from '../command';
import { withDatabase } from '../admin/database';

export const verifyCommand: CliCommand = {
  name: 'verify',
  summary: 'recompute every leaf, chain link, root and checkpoint signature of the ledger in Postgres',
  help: `usage:
  audit-ledger verify (--tenant <tenant> | --all) (--vkey <vkey> | --public-key <pem> --key-name <name>)... [--origin <origin>] [--redaction-grace <seconds>] [--json]

Streams the tenant's records from Postgres (DATABASE_URL) in seq order and checks each leaf hash against
its stored canonical JSON, each chain link, seq contiguity, each checkpoint's signature with the trusted
keys, its Merkle root at its size, and the chain of checkpoints. Exits 0 when everything holds, 1 naming
the first bad seq and what is wrong. Trust comes only from the keys you give (never from the database);
give retired keys too to verify old checkpoints. The ledger service publishes its keys at GET /v1/keys.
Every redacted record must also match a retention run recorded in the ledger (its time, seq range and
the policy of its type) and no legal hold active at that moment; a redaction younger than
--redaction-grace (default 120 s) may still be waiting for its run's event and is not judged yet.

example:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/audit \\
    audit-ledger verify --tenant acme --vkey 'audit-ledger-dev+1a2b3c4d+AX…'
`,
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        tenant: { type: 'string' },
        all: { type: 'boolean', default: false },
        vkey: { type: 'string', multiple: true },
        'public-key': { type: 'string', multiple: true },
        'key-name': { type: 'string', multiple: true },
        origin: { type: 'string' },
        'redaction-grace': { type: 'string', default: '120' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    if (!values.tenant && !values.all) throw new UsageError('give --tenant <tenant> or --all');
    const keys = trustedKeys(values.vkey ?? [], values['public-key'] ?? [], values['key-name'] ?? []);
    if (keys.length === 0) throw new UsageError('give at least one trusted key (--vkey, or --public-key with --key-name)');
    const graceSeconds = Number(values['redaction-grace']);
    if (!Number.isFinite(graceSeconds) || graceSeconds < 0) throw new UsageError('--redaction-grace must be a number of seconds ≥ 0');

    return withDatabase(io.env, async (pool) => {
      const tenants = values.tenant ? [values.tenant] : await tenantsInLedger(pool);
      let failed = 0;
      for (const tenant of tenants) {
        const started = process.hrtime.bigint();
        const chain = await verifyTenantLedger(pool, tenant, keys, values.origin ? { origin: `${values.origin}/tenant/${tenant}` } : {});
        const redactions = await auditTenantRedactions(pool, tenant, { now: new Date(), graceMs: graceSeconds * 1000 });
        const result = withRedactionAudit(chain, redactions.firstFailure);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        if (!result.ok) failed++;
        io.stdout(values.json ? `${JSON.stringify({ tenant, seconds, ...summarize(result) })}\n` : describe(tenant, result, seconds));
      }
      return failed === 0 ? 0 : 1;
    });
  },
};

function trustedKeys(vkeys: string[], pemFiles: string[], names: string[]): VerifierKey[] {
  if (pemFiles.length !== names.length) throw new UsageError('give one --key-name per --public-key');
  return [...vkeys.map((v) => parseVerifierKey(v)), ...pemFiles.map((file, i) => verifierKeyFromPem(names[i] as string, readFileSync(file, 'utf8')))];
}

/** A redaction that no recorded run explains fails the ledger too; a chain failure, being earlier evidence, stays first. */
function withRedactionAudit(r: VerifyResult, failure: VerifyFailure | undefined): VerifyResult {
  if (!failure) return r;
  return { ...r, ok: false, problems: r.problems + 1, firstFailure: r.firstFailure ?? failure };
}

function summarize(r: VerifyResult): Record<string, unknown> {
  return {
    ok: r.ok,
    rows: r.rows,
    redactedRows: r.redactedRows,
    checkpoints: r.checkpoints,
    checkpointedSize: r.checkpointedSize,
    rootHash: r.rootHash.toString('base64'),
    problems: r.problems,
    ...(r.firstFailure ? { firstFailure: r.firstFailure } : {}),
  };
}

function describe(tenant: string, r: VerifyResult, seconds: number): string {
  const rate = seconds > 0 ? Math.round(r.rows / seconds) : r.rows;
  const head = `${tenant}: ${r.rows} records, ${r.checkpoints} checkpoints (signed up to ${r.checkpointedSize}), root ${r.rootHash.toString('base64')} — ${seconds.toFixed(2)} s, ${rate} records/s\n`;
  if (r.ok) return `OK   ${head}`;
  const f = r.firstFailure;
  return `FAIL ${head}     first bad seq ${f?.seq}: ${f?.problem} — ${f?.detail} (${r.problems} failed checks in all)\n`;
}
