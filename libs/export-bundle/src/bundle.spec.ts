import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalize, generateSigningKey, hashLeaf, rootFromLeafHashes, signCheckpoint, formatVerifierKey } from '@audit/ledger-core';
import { BundleWriter, type BundleRecord } from './bundle-writer';
import { packBundle, unpackBundle, verifyBundle, type BundleVerdict } from './bundle-verifier';

/** A small ledger built in memory with the same bytes the ledger writes: no services needed. */
function aLedger(tenant: string, size: number, key = generateSigningKey('test-ledger-key')) {
  const records: BundleRecord[] = [];
  for (let seq = 1; seq <= size; seq++) {
    const entry = {
      version: 1,
      tenant,
      seq,
      id: `0190c1a2-7b3c-7def-8a12-${String(seq).padStart(12, '0')}`,
      type: seq % 4 === 1 ? 'change.requested' : 'deployment.succeeded',
      occurredAt: '2026-01-31T11:59:58.000Z',
      receivedAt: '2026-01-31T11:59:59.125Z',
      recordedAt: '2026-01-31T12:00:00.000Z',
      actor: { id: seq % 2 ? 'alice' : '=cmd|calc', type: 'user', roles: ['deployer'], teams: [] },
      resource: { kind: 'service', id: 'payments', environment: 'prod' },
      changeId: `chg-${Math.ceil(seq / 4)}`,
      outcome: 'succeeded',
      artifact: { digest: `sha256:${'a'.repeat(64)}` },
      reason: seq === 3 ? 'multi\nline, "quoted"' : undefined,
      provenance: seq % 2 ? { kind: 'api_key', id: 'k-ci', auth: 'api-key', scopes: [], via: 'http' } : undefined,
    };
    const canonical = canonicalize(JSON.parse(JSON.stringify(entry)));
    records.push({ seq, canonical, leafHash: hashLeaf(Buffer.from(canonical)) });
  }
  const leaves = records.map((r) => r.leafHash);
  const origin = `audit-ledger.local/tenant/${tenant}`;
  const note = (n: number) =>
    signCheckpoint({ origin, size: n, rootHash: rootFromLeafHashes(leaves.slice(0, n)), time: '2026-01-31T12:00:05Z', prevNoteHash: null }, key.signer);
  return { tenant, records, leaves, key, origin, note };
}

type Ledger = ReturnType<typeof aLedger>;

async function writeBundle(ledger: Ledger, out: string, pick = (r: BundleRecord) => r.seq >= 3 && r.seq <= 30, cpSize = ledger.records.length, contiguous = true): Promise<void> {
  const writer = await BundleWriter.open({ tenant: ledger.tenant });
  for (const r of ledger.records) if (pick(r) && r.seq <= cpSize) await writer.add(r);
  await writer.finish(
    {
      exportId: 'exp-1',
      tenant: ledger.tenant,
      createdAt: new Date('2026-02-01T00:00:00.000Z'),
      requestedBy: { id: 'auditor@example.com', roles: ['auditor'], via: 'cli' },
      request: { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' },
      contiguous,
      checkpointNote: ledger.note(cpSize),
      checkpoint: { origin: ledger.origin, size: cpSize, rootHash: rootFromLeafHashes(ledger.leaves.slice(0, cpSize)) },
      treeLeaves: Buffer.concat(ledger.leaves.slice(0, cpSize)),
      verifierKeys: [formatVerifierKey(ledger.key.verifierKey)],
      publicKeyPems: [ledger.key.publicKeyPem],
    },
    out,
  );
}

describe('export bundle', () => {
  let dir: string;
  const ledger = aLedger('acme', 40);
  const keys = { publicKeyPems: [ledger.key.publicKeyPem] };
  let bundle: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bundle-spec-'));
    bundle = join(dir, 'bundle.tar.gz');
    await writeBundle(ledger, bundle);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('verifies offline with the PEM public key or the verifier key', async () => {
    const byPem = await verifyBundle(bundle, keys);
    expect(byPem).toMatchObject({ ok: true, tenant: 'acme', records: 28, redacted: 0, problems: [], checkpoint: { size: 40, signedBy: ['test-ledger-key'] } });
    expect(await verifyBundle(bundle, { trustedKeys: [ledger.key.verifierKey] })).toMatchObject({ ok: true });
  });

  it('holds the records exactly as hashed, a flattened CSV guarded against formulas, the changes and a manifest', async () => {
    const open = await unpacked(bundle);
    const lines = (await readFile(join(open, 'events.jsonl'), 'utf8')).trimEnd().split('\n');
    expect(lines).toEqual(ledger.records.slice(2, 30).map((r) => r.canonical));
    const csv = await readFile(join(open, 'events.csv'), 'utf8');
    expect(csv.split('\r\n')[0]).toMatch(/^seq,event_id,type,occurred_at/);
    expect(csv).toContain(`,'=cmd|calc,`);
    expect(csv.split('\r\n')[0]).toMatch(/,leaf_hash,provenance_kind,provenance_id,provenance_via$/);
    expect(csv).toMatch(/,api_key,k-ci,http\r\n/);
    expect(csv).toContain('"multi\nline, ""quoted"""');
    const changes = JSON.parse(await readFile(join(open, 'changes.json'), 'utf8')) as { changes: { changeId: string; events: unknown[] }[] };
    expect(changes.changes[0]).toMatchObject({ changeId: 'chg-1', firstSeq: 3, lastSeq: 4, eventCount: 2 });
    const manifest = JSON.parse(await readFile(join(open, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ tenant: 'acme', range: { firstSeq: 3, lastSeq: 30 }, counts: { records: 28, changes: 8 }, requestedBy: { id: 'auditor@example.com' } });
    expect(manifest.files.map((f: { path: string }) => f.path)).toEqual(
      expect.arrayContaining(['README.txt', 'events.jsonl', 'events.csv', 'changes.json', 'proof/checkpoint.note', 'proof/leaves.txt', 'proof/multiproof.txt', 'keys/verifier-keys.txt', 'keys/public-key-1.pem']),
    );
  });

  it('proves redacted records through their leaf hash, and sparse (filtered) selections', async () => {
    const redactedLedger = { ...ledger, records: ledger.records.map((r) => (r.seq === 5 ? { ...r, canonical: null } : r)) };
    const out = join(dir, 'redacted.tar.gz');
    await writeBundle(redactedLedger, out);
    expect(await verifyBundle(out, keys)).toMatchObject({ ok: true, records: 28, redacted: 1 });
    const sparse = join(dir, 'sparse.tar.gz');
    await writeBundle(ledger, sparse, (r) => r.seq % 7 === 0, 40, false);
    expect(await verifyBundle(sparse, keys)).toMatchObject({ ok: true, records: 5 });
    // The same selection claimed as a complete time range is caught.
    const claimed = join(dir, 'claimed.tar.gz');
    await writeBundle(ledger, claimed, (r) => r.seq % 7 === 0, 40, true);
    expect(explain(await verifyBundle(claimed, keys))).toMatch(/seq 8 is missing from a contiguous export/);
  });

  // Every mutation is made the way a careful forger would: the manifest's digests are recomputed after the
  // edit, so what catches it is the cryptography, not the (unsigned) manifest.
  describe('fails, naming the bad record or file, when someone', () => {
    const cases: [string, (d: string) => Promise<void>, RegExp][] = [
      ['edits a record', (d) => editLines(d, 'events.jsonl', (ls) => ls.map((l, i) => (i === 4 ? l.replace('"alice"', '"mallory"') : l))), /seq 7 .*leaf hash/],
      ['edits a record and its leaf hash', async (d) => {
        await editLines(d, 'events.jsonl', (ls) => ls.map((l, i) => (i === 4 ? l.replace('"alice"', '"mallory"') : l)));
        const line = (await readFile(join(d, 'events.jsonl'), 'utf8')).split('\n')[4]!;
        await editLines(d, 'proof/leaves.txt', (ls) => ls.map((l, i) => (i === 4 ? `7 ${hashLeaf(Buffer.from(line)).toString('base64')}` : l)));
      }, /root/],
      ['drops a record', (d) => editBoth(d, (ls) => ls.filter((_, i) => i !== 10)), /seq 13 is missing/],
      ['reorders two records', (d) => editBoth(d, (ls) => ls.map((l, i) => (i === 5 ? ls[6]! : i === 6 ? ls[5]! : l))), /seq 8 .*does not come after/],
      ['duplicates a record', (d) => editBoth(d, (ls) => [...ls.slice(0, 8), ls[7]!, ...ls.slice(8)]), /does not come after/],
      ['inserts a line into events.jsonl only', (d) => editLines(d, 'events.jsonl', (ls) => [...ls, ls[0]!]), /inserted record/],
      ['swaps in the checkpoint of another tenant', async (d) => {
        const other = aLedger('evil', 40, ledger.key);
        await writeFile(join(d, 'proof/checkpoint.note'), other.note(40));
      }, /not tenant acme's log/],
      ['swaps in an older checkpoint of the same log', (d) => writeFile(join(d, 'proof/checkpoint.note'), ledger.note(20)), /does not cover the last exported seq 30/],
      ['edits the manifest counts', (d) => editJson(d, 'manifest.json', (m) => ({ ...m, counts: { ...m.counts, records: 27 } })), /counts/],
      ['edits the manifest tenant', (d) => editJson(d, 'manifest.json', (m) => ({ ...m, tenant: 'evil' })), /belongs to tenant acme, not evil/],
      ['edits a proof node', (d) => editLines(d, 'proof/multiproof.txt', (ls) => ls.map((l, i) => (i === 1 ? l.replace(/ \S+$/, ` ${Buffer.alloc(32, 1).toString('base64')}`) : l))), /root/],
      ['removes a proof node', (d) => editLines(d, 'proof/multiproof.txt', (ls) => ls.filter((_, i) => i !== 1)), /proof/],
      ['edits the CSV', (d) => editLines(d, 'events.csv', (ls) => ls.map((l) => l.replace('payments', 'paymentz'))), /events.csv/],
      ['edits a change', (d) => editLines(d, 'changes.json', (ls) => ls.map((l) => l.replace('"chg-2"', '"chg-9"'))), /changes.json/],
      ['drops a change', (d) => editLines(d, 'changes.json', (ls) => ls.filter((_, i) => i !== 2)), /changes.json/],
      ['drops the last change', (d) => editLines(d, 'changes.json', (ls) => {
        const out = ls.filter((_, i) => i !== ls.length - 2);
        out[out.length - 2] = out[out.length - 2]!.replace(/,$/, '');
        return out;
      }), /changes.json/],
      ['adds a change', (d) => editLines(d, 'changes.json', (ls) => [...ls.slice(0, 2), ls[1]!, ...ls.slice(2)]), /changes.json/],
      ['swaps two changes', (d) => editLines(d, 'changes.json', (ls) => ls.map((l, i) => (i === 1 ? ls[2]! : i === 2 ? ls[1]! : l))), /changes.json/],
      ['edits an event of a change', (d) => editLines(d, 'changes.json', (ls) => ls.map((l, i) => (i === 1 ? l.replace(/"seq":(\d+)/, (_m, n) => `"seq":${Number(n) + 1}`) : l))), /changes.json/],
      ['puts all changes on one line', (d) => editLines(d, 'changes.json', (ls) => [ls.join('')]), /changes.json/],
      ['adds a file', (d) => writeFile(join(d, 'keys/public-key-2.pem'), ledger.key.publicKeyPem), /not listed in the manifest/],
      ['removes a file', (d) => unlink(join(d, 'events.csv')), /missing/],
    ];
    it.each(cases)('%s', async (_name, mutate, expected) => {
      const d = await unpacked(bundle);
      await mutate(d);
      await fixDigests(d);
      const out = join(dir, `mutated-${createHash('sha256').update(_name).digest('hex').slice(0, 8)}.tar.gz`);
      await packBundle(d, out);
      const verdict = await verifyBundle(out, keys);
      expect(verdict.ok).toBe(false);
      expect(explain(verdict)).toMatch(expected);
    });

    it('still verifies a bundle written before the provenance columns (its header names the layout)', async () => {
      const d = await unpacked(bundle);
      const suffix = ',provenance_kind,provenance_id,provenance_via';
      const legacy = (l: string) => (l.endsWith(suffix) ? l.slice(0, -suffix.length) : l.replace(/,[^,]*,[^,]*,[^,]*$/, ''));
      await editLines(d, 'events.csv', (ls) => ls.map(legacy));
      expect((await readFile(join(d, 'events.csv'), 'utf8')).split('\r\n')[0]).toMatch(/,leaf_hash$/);
      await fixDigests(d);
      expect(await verifyBundle(d, keys)).toMatchObject({ ok: true, problems: [] });
      await editLines(d, 'events.csv', (ls) => ls.map((l) => l.replace('payments', 'paymentz')));
      await fixDigests(d);
      expect(explain(await verifyBundle(d, keys))).toMatch(/events.csv/);
    });

    it('edits a file without fixing the manifest', async () => {
      const d = await unpacked(bundle);
      await editLines(d, 'proof/leaves.txt', (ls) => ls.slice(0, -1));
      expect(explain(await verifyBundle(d, keys))).toMatch(/proof\/leaves.txt: SHA-256/);
    });

    it('checks with the wrong key', async () => {
      const wrong = generateSigningKey('test-ledger-key');
      const verdict = await verifyBundle(bundle, { publicKeyPems: [wrong.publicKeyPem] });
      expect(verdict.ok).toBe(false);
      expect(explain(verdict)).toMatch(/checkpoint.note: signature/);
      expect((await verifyBundle(bundle, { trustedKeys: [wrong.verifierKey] })).ok).toBe(false);
    });

    it('expects another tenant', async () => {
      expect(explain(await verifyBundle(bundle, { ...keys, tenant: 'other' }))).toMatch(/not other/);
    });

    it('hands over a corrupt or hostile archive', async () => {
      const bad = join(dir, 'bad.tar.gz');
      await writeFile(bad, (await readFile(bundle)).subarray(0, 300));
      expect(explain(await verifyBundle(bad, keys))).toMatch(/not a readable bundle/);
    });
  });

  async function unpacked(path: string): Promise<string> {
    const d = await mkdtemp(join(dir, 'open-'));
    await unpackBundle(path, d);
    return d;
  }
});

function explain(v: BundleVerdict): string {
  return v.problems.map((p) => `${p.file}: ${p.detail}`).join('\n');
}

async function editLines(d: string, name: string, edit: (lines: string[]) => string[]): Promise<void> {
  const text = await readFile(join(d, name), 'utf8');
  const sep = name.endsWith('.csv') ? '\r\n' : '\n';
  await writeFile(join(d, name), `${edit(text.slice(0, -sep.length).split(sep)).join(sep)}${sep}`);
}

/** The same edit to events.jsonl and proof/leaves.txt (all records in the fixture have payloads). */
async function editBoth(d: string, edit: (lines: string[]) => string[]): Promise<void> {
  await editLines(d, 'events.jsonl', edit);
  await editLines(d, 'proof/leaves.txt', edit);
}

async function editJson(d: string, name: string, edit: (value: Record<string, Record<string, unknown>>) => unknown): Promise<void> {
  await writeFile(join(d, name), JSON.stringify(edit(JSON.parse(await readFile(join(d, name), 'utf8')))));
}

async function fixDigests(d: string): Promise<void> {
  const manifest = JSON.parse(await readFile(join(d, 'manifest.json'), 'utf8')) as { files: { path: string; sha256: string; bytes: number }[] };
  for (const f of manifest.files) {
    const data = await readFile(join(d, f.path)).catch(() => undefined);
    if (data) Object.assign(f, { sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length });
  }
  await writeFile(join(d, 'manifest.json'), JSON.stringify(manifest));
}
