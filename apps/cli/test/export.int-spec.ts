import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packBundle, unpackBundle } from '@audit/export-bundle';
import { formatVerifierKey, generateSigningKey } from '@audit/ledger-core';
import { anAcceptedEvent, aTenant, expectEventually } from '@audit/testing';
import { LedgerHarness } from '../../ledger/test/ledger-harness';
import { runCli } from '../src/main';

/**
 * `audit-ledger export` of a ledger written by the real ledger service, then `verify-export` with an
 * empty environment (no DATABASE_URL, no brokers: it must not need them).
 */
describe('audit-ledger export / verify-export', () => {
  const h = new LedgerHarness();
  const dir = mkdtempSync(join(tmpdir(), 'export-int-'));
  const pem = join(dir, 'ledger-key.pem');
  const tenant = aTenant('exp');
  const other = aTenant('exp');
  const changeId = `CHG-export-${tenant}`;

  async function cli(argv: string[], env: NodeJS.ProcessEnv) {
    let out = '';
    let err = '';
    const code = await runCli(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env });
    return { code, out, err };
  }
  const db = { DATABASE_URL: process.env.DATABASE_URL };

  beforeAll(async () => {
    writeFileSync(pem, h.key.publicKeyPem);
    await h.start();
    const events = Array.from({ length: 60 }, (_, i) => anAcceptedEvent(tenant, i % 5 === 0 ? { changeId, type: 'change.requested' } : {}));
    await h.send([...events, ...Array.from({ length: 7 }, () => anAcceptedEvent(other))]);
    await expectEventually(async () => {
      const { rows } = await h.pool.query('SELECT tenant, max(size) AS size FROM ledger.checkpoints WHERE tenant = ANY($1) GROUP BY tenant', [[tenant, other]]);
      expect(Object.fromEntries(rows.map((r) => [r.tenant, Number(r.size)]))).toEqual({ [tenant]: 60, [other]: 7 });
    });
    await h.stopApp();
  });
  afterAll(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exports a real ledger that verifies offline with the PEM key or the verifier key', async () => {
    const out = join(dir, 'all.tar.gz');
    const exported = await cli(['export', '--tenant', tenant, '--public-key', pem, '--out', out, '--requested-by', 'auditor@example.com'], db);
    expect(exported).toMatchObject({ code: 0 });
    expect(exported.out).toMatch(/60 records \(seq 1\.\.60, 0 redacted\), 49 changes, checkpoint size 60/);

    const verified = await cli(['verify-export', out, '--public-key', pem], {});
    expect(verified.out).toMatch(/^VERIFIED .*60 records \(0 redacted\), checkpoint .*size 60/);
    expect(verified.code).toBe(0);
    expect((await cli(['verify-export', out, '--vkey', formatVerifierKey(h.key.verifierKey), '--tenant', tenant], {})).code).toBe(0);
  });

  it('exports one change (sparse, with a multi-proof) and a time range', async () => {
    const change = join(dir, 'change.tar.gz');
    expect((await cli(['export', '--tenant', tenant, '--change', changeId, '--public-key', pem, '--out', change], db)).out).toMatch(/12 records/);
    expect((await cli(['verify-export', change, '--public-key', pem], {})).code).toBe(0);

    const empty = join(dir, 'empty.tar.gz');
    expect((await cli(['export', '--tenant', tenant, '--to', '2000-01-01T00:00:00Z', '--public-key', pem, '--out', empty], db)).out).toMatch(/ 0 records/);
    expect((await cli(['verify-export', empty, '--public-key', pem], {})).code).toBe(0);
  });

  it('exports what a search-language query matches, each record with its proof, and points at a syntax error', async () => {
    const filtered = join(dir, 'filtered.tar.gz');
    const result = await cli(['export', '--tenant', tenant, '--query', `change:${changeId}`, '--public-key', pem, '--out', filtered], db);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/12 records/);
    const unpacked = mkdtempSync(join(dir, 'filtered-'));
    await unpackBundle(filtered, unpacked);
    const changes = readFileSync(join(unpacked, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { changeId: string }).changeId);
    expect(new Set(changes)).toEqual(new Set([changeId]));
    expect(JSON.parse(readFileSync(join(unpacked, 'manifest.json'), 'utf8')).request).toMatchObject({ query: `change:${changeId}` });
    expect((await cli(['verify-export', filtered, '--public-key', pem], {})).code).toBe(0);

    const negated = await cli(['export', '--tenant', tenant, `--query=-change:${changeId}`, '--public-key', pem, '--out', join(dir, 'negated.tar.gz')], db);
    expect(negated.out).toMatch(/48 records/);

    const bad = await cli(['export', '--tenant', tenant, '--query', 'type:(deploy', '--public-key', pem, '--out', join(dir, 'never.tar.gz')], db);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--query: .* at position \d+\n  type:\(deploy\n +\^/);
  });

  it('fails, naming the record or file, for an edited record, another tenant\'s checkpoint or the wrong key', async () => {
    const out = join(dir, 'all.tar.gz');
    const edited = mkdtempSync(join(dir, 'edit-'));
    await unpackBundle(out, edited);
    const lines = readFileSync(join(edited, 'events.jsonl'), 'utf8').split('\n');
    lines[9] = lines[9]!.replace('"payments-db"', '"payments-dc"');
    writeFileSync(join(edited, 'events.jsonl'), lines.join('\n'));
    const editedResult = await cli(['verify-export', edited, '--public-key', pem], {});
    expect(editedResult.code).toBe(1);
    expect(editedResult.out).toMatch(/^FAILED/);
    expect(editedResult.out).toMatch(/first bad file: events.jsonl; first bad record: seq 10/);

    const otherBundle = join(dir, 'other.tar.gz');
    expect((await cli(['export', '--tenant', other, '--public-key', pem, '--out', otherBundle], db)).code).toBe(0);
    const otherDir = mkdtempSync(join(dir, 'other-'));
    await unpackBundle(otherBundle, otherDir);
    const swapped = mkdtempSync(join(dir, 'swap-'));
    await unpackBundle(out, swapped);
    writeFileSync(join(swapped, 'proof/checkpoint.note'), readFileSync(join(otherDir, 'proof/checkpoint.note')));
    const swappedBundle = join(dir, 'swapped.tar.gz');
    await packBundle(swapped, swappedBundle);
    const swappedResult = await cli(['verify-export', swappedBundle, '--public-key', pem], {});
    expect(swappedResult.code).toBe(1);
    expect(swappedResult.out).toMatch(new RegExp(`is not tenant ${tenant}'s log`));

    const wrong = join(dir, 'wrong.pem');
    writeFileSync(wrong, generateSigningKey('test-ledger-key').publicKeyPem);
    const wrongResult = await cli(['verify-export', out, '--public-key', wrong], {});
    expect(wrongResult.code).toBe(1);
    expect(wrongResult.out).toMatch(/proof\/checkpoint.note: signature/);
  });

  it('refuses to export with a key the checkpoint is not signed by', async () => {
    const wrong = join(dir, 'wrong2.pem');
    writeFileSync(wrong, generateSigningKey('test-ledger-key').publicKeyPem);
    const result = await cli(['export', '--tenant', tenant, '--public-key', wrong, '--out', join(dir, 'never.tar.gz')], db);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/signature|trusted/i);
  });
});
