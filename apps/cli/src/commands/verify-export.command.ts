import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { verifyBundle, type BundleVerdict } from '@audit/export-bundle';
import { parseVerifierKey } from '@audit/ledger-core';
import { UsageError, type CliCommand } from '../command';

export const verifyExportCommand: CliCommand = {
  name: 'verify-export',
  summary: 'check an export bundle offline: file digests, every record hash, the proof, the checkpoint signature',
  help: `usage:
  audit-ledger verify-export <bundle.tar.gz | unpacked dir> (--public-key <key.pem> | --vkey <vkey>)... [--tenant <t>] [--origin <origin>] [--json]

Needs nothing but the bundle and the ledger's public key: no network, no database. Checks that the
manifest lists exactly the files present with their SHA-256; that every line of events.jsonl is the
canonical JSON of one of the tenant's records whose leaf hash is the one in proof/leaves.txt, in strictly
increasing seq order (gapless for a plain time-range export); that events.csv, changes.json and, for an
OCSF export, events.ocsf.jsonl are what the records give; that proof/multiproof.txt leads from those leaves to the root of proof/checkpoint.note;
and that the checkpoint is signed by a key you trust, for this tenant's log, and covers every record.
Take the key from a trusted source, not from the bundle's keys/ folder.

Exits 0 with VERIFIED, 1 with FAILED naming the first bad file or record (2 on a usage error).

example:
  audit-ledger verify-export acme-2026-q1.tar.gz --public-key ledger-key.pem
`,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        'public-key': { type: 'string', multiple: true },
        vkey: { type: 'string', multiple: true },
        tenant: { type: 'string' },
        origin: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const [bundle, ...extra] = positionals;
    if (!bundle || extra.length > 0) throw new UsageError('give exactly one bundle');
    const pems = (values['public-key'] ?? []).map((file) => readFileSync(file, 'utf8'));
    const vkeys = (values.vkey ?? []).map((v) => parseVerifierKey(v));
    if (pems.length + vkeys.length === 0) throw new UsageError('give the trusted key: --public-key <key.pem> or --vkey <vkey>');
    const started = process.hrtime.bigint();
    const verdict = await verifyBundle(bundle, {
      trustedKeys: vkeys,
      publicKeyPems: pems,
      ...(values.tenant ? { tenant: values.tenant } : {}),
      ...(values.origin ? { origin: values.origin } : {}),
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    io.stdout(values.json ? `${JSON.stringify({ bundle, seconds, ...verdict })}\n` : describe(bundle, verdict, seconds));
    return verdict.ok ? 0 : 1;
  },
};

function describe(bundle: string, v: BundleVerdict, seconds: number): string {
  const cp = v.checkpoint ? `checkpoint ${v.checkpoint.origin} size ${v.checkpoint.size} root ${v.checkpoint.rootHash}${v.checkpoint.signedBy.length ? ` signed by ${v.checkpoint.signedBy.join(', ')}` : ''}` : 'no usable checkpoint';
  const head = `${bundle}: tenant ${v.tenant ?? '?'}, ${v.records} records (${v.redacted} redacted), ${cp} — ${seconds.toFixed(2)} s\n`;
  if (v.ok) return `VERIFIED ${head}`;
  const first = v.problems[0];
  const lines = v.problems.map((p) => `  - ${p.file}${p.seq !== undefined ? ` [seq ${p.seq}]` : ''}: ${p.detail}\n`);
  const firstRecord = v.problems.find((p) => p.seq !== undefined);
  return [
    `FAILED ${head}`,
    `first bad file: ${first?.file}${firstRecord ? `; first bad record: seq ${firstRecord.seq}` : ''}\n`,
    `${v.problemCount} problem(s):\n`,
    ...lines,
    ...(v.problemCount > v.problems.length ? [`  … and ${v.problemCount - v.problems.length} more\n`] : []),
  ].join('');
}
