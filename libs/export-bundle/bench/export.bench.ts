/**
 * Export and offline-verify rates of the bundle format, on a synthetic ledger built in memory with the
 * ledger's exact bytes (no services: this measures the bundle code, not Postgres reads).
 *
 *   node -r @swc-node/register libs/export-bundle/bench/export.bench.ts [records=100000] [ocsf]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalize, formatVerifierKey, generateSigningKey, hashLeaf, MerkleFrontier, signCheckpoint } from '@audit/ledger-core';
import { BundleWriter, verifyBundle } from '../src';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 100_000);
  const ocsf = process.argv[3] === 'ocsf';
  const tenant = 'bench';
  const key = generateSigningKey('bench-key');
  const dir = await mkdtemp(join(tmpdir(), 'export-bench-'));
  const record = (seq: number) => {
    const canonical = canonicalize({
      version: 1, tenant, seq, id: `0190c1a2-7b3c-7def-8a12-${String(seq).padStart(12, '0')}`, type: 'deployment.succeeded',
      occurredAt: '2026-01-31T11:59:58.000Z', receivedAt: '2026-01-31T11:59:59.125Z', recordedAt: '2026-01-31T12:00:00.000Z',
      actor: { id: 'alice@example.com', type: 'user', roles: ['deployer'], teams: ['payments'] },
      resource: { kind: 'service', id: 'payments', environment: 'prod' }, changeId: `CHG-${Math.ceil(seq / 5)}`, outcome: 'succeeded',
      artifact: { digest: `sha256:${'a'.repeat(64)}` }, reason: 'weekly release of the payments service',
    });
    return { seq, canonical, leafHash: hashLeaf(Buffer.from(canonical)) };
  };
  // The tree's leaf hashes, as the exporter reads them from ledger.records.
  const leaves = Buffer.alloc(n * 32);
  const frontier = MerkleFrontier.empty();
  for (let seq = 1; seq <= n; seq++) {
    const { leafHash } = record(seq);
    leafHash.copy(leaves, (seq - 1) * 32);
    frontier.append(leafHash);
  }
  const origin = `audit-ledger.local/tenant/${tenant}`;
  const note = signCheckpoint({ origin, size: n, rootHash: frontier.root(), time: '2026-01-31T12:00:05Z', prevNoteHash: null }, key.signer);
  const out = join(dir, 'bundle.tar.gz');

  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  let t = process.hrtime.bigint();
  const writer = await BundleWriter.open({ tenant, ocsf });
  for (let seq = 1; seq <= n; seq++) await writer.add(record(seq));
  const { bytes } = await writer.finish(
    {
      exportId: 'bench', tenant, createdAt: new Date(), requestedBy: { id: 'bench', roles: [], via: 'cli' }, request: ocsf ? { format: 'ocsf' } : {}, contiguous: true,
      checkpointNote: note, checkpoint: { origin, size: n, rootHash: frontier.root() }, treeLeaves: leaves,
      verifierKeys: [formatVerifierKey(key.verifierKey)], publicKeyPems: [key.publicKeyPem],
    },
    out,
  );
  const exportSeconds = Number(process.hrtime.bigint() - t) / 1e9;
  const exportPeak = peak;
  t = process.hrtime.bigint();
  const verdict = await verifyBundle(out, { publicKeyPems: [key.publicKeyPem] });
  const verifySeconds = Number(process.hrtime.bigint() - t) / 1e9;
  clearInterval(sample);
  if (!verdict.ok) throw new Error(`bench bundle did not verify: ${JSON.stringify(verdict.problems[0])}`);
  await rm(dir, { recursive: true, force: true });
  const mib = (b: number) => (b / 1024 / 1024).toFixed(0);
  process.stdout.write(
    `${n} records${ocsf ? ' with OCSF' : ''}, bundle ${mib(bytes)} MiB\n` +
      `export (write files + multi-proof + tar.gz): ${exportSeconds.toFixed(2)} s = ${Math.round(n / exportSeconds)} events/s, peak RSS ${mib(exportPeak)} MiB (start ${mib(rss0)} MiB)\n` +
      `offline verify (unpack + digests + leaf hashes + CSV/changes + proof + signature): ${verifySeconds.toFixed(2)} s = ${Math.round(n / verifySeconds)} events/s, peak RSS ${mib(peak)} MiB\n`,
  );
}

void main();
