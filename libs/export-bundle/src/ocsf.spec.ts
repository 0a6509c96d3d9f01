import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalize, formatVerifierKey, generateSigningKey, hashLeaf, rootFromLeafHashes, signCheckpoint } from '@audit/ledger-core';
import { BUNDLE_FILES } from './bundle-format';
import { packBundle, unpackBundle, verifyBundle } from './bundle-verifier';
import { BundleWriter, type BundleRecord } from './bundle-writer';
import { OCSF_MAPPING, OCSF_VERSION, ocsfLine, toOcsf } from './ocsf';
import { EVENT_TYPES } from '@audit/contracts';

const base = {
  version: 1,
  tenant: 'acme',
  seq: 7,
  id: '0190c1a2-7b3c-7def-8a12-000000000007',
  occurredAt: '2026-01-31T11:59:58.000Z',
  receivedAt: '2026-01-31T11:59:59.125Z',
  recordedAt: '2026-01-31T12:00:00.000Z',
  actor: { id: 'alice', type: 'user', roles: ['deployer'], teams: ['payments'], displayName: 'Alice A.' },
  resource: { kind: 'service', id: 'payments-api', environment: 'prod', name: 'Payments API' },
};

describe('OCSF mapping', () => {
  it('maps every event type the contracts know, and nothing else', () => {
    expect(Object.keys(OCSF_MAPPING).sort()).toEqual([...EVENT_TYPES].sort());
  });

  it('maps a deployment to Application Lifecycle: Update, with status from the outcome and the artifact as version', () => {
    const o = toOcsf({ ...base, type: 'deployment.failed', changeId: 'CHG-1', outcome: 'failed', artifact: { digest: `sha256:${'b'.repeat(64)}`, kind: 'container-image' } });
    expect(o).toMatchObject({
      class_uid: 6002,
      category_uid: 6,
      activity_id: 8,
      type_uid: 600208,
      type_name: 'Application Lifecycle: Update',
      status_id: 2,
      status: 'Failure',
      severity_id: 1,
      time: Date.parse('2026-01-31T11:59:58.000Z'),
      app: { uid: 'payments-api', name: 'Payments API', version: `sha256:${'b'.repeat(64)}` },
      metadata: { version: OCSF_VERSION, uid: base.id, sequence: 7, tenant_uid: 'acme', correlation_uid: 'CHG-1', event_code: 'deployment.failed', logged_time: Date.parse(base.recordedAt) },
      actor: { user: { uid: 'alice', name: 'Alice A.', type_id: 1, groups: [{ name: 'payments' }] } },
    });
    expect((o.unmapped as Record<string, unknown>).ledger).toEqual({ seq: 7, recordedAt: base.recordedAt, eventId: base.id });
  });

  it('maps access grants to User Access Management with the role as privilege', () => {
    const o = toOcsf({ ...base, type: 'access.granted', access: { principal: 'bob', role: 'cluster-admin', scope: 'prod-cluster' }, outcome: 'succeeded' });
    expect(o).toMatchObject({ class_uid: 3005, activity_id: 1, type_uid: 300501, user: { uid: 'bob' }, privileges: ['cluster-admin'], resource: { uid: 'prod-cluster' }, status_id: 1 });
    expect(toOcsf({ ...base, type: 'access.revoked', access: { principal: 'bob', role: 'cluster-admin' } })).toMatchObject({ class_uid: 3005, activity_id: 2, status_id: 0 });
  });

  it('maps Kubernetes requests to API Activity by verb, and audit reads to API Activity: Read', () => {
    const k8s = (verb: string) => toOcsf({ ...base, actor: { id: 'system:serviceaccount:ci', type: 'service', roles: [], teams: [] }, type: 'k8s.request', source: { system: 'kubernetes' }, details: { verb, sourceIPs: ['10.0.0.7'] } });
    expect(k8s('delete')).toMatchObject({ class_uid: 6003, activity_id: 4, api: { operation: 'delete', service: { name: 'kubernetes' } }, src_endpoint: { svc_name: 'kubernetes', ip: '10.0.0.7' }, actor: { user: { type_id: 3 }, app_name: 'kubernetes' } });
    expect(k8s('list')).toMatchObject({ activity_id: 2 });
    expect(k8s('escalate')).toMatchObject({ activity_id: 99, activity_name: 'escalate', type_uid: 600399 });
    expect(toOcsf({ ...base, type: 'audit.read', details: { endpoint: '/v1/search' } })).toMatchObject({ class_uid: 6003, activity_id: 2, api: { operation: '/v1/search' } });
  });

  it('maps change workflow events to Entity Management of the change', () => {
    expect(toOcsf({ ...base, type: 'change.requested', changeId: 'CHG-9' })).toMatchObject({ class_uid: 3004, activity_id: 1, entity: { uid: 'CHG-9', type: 'change', name: 'payments-api' } });
    expect(toOcsf({ ...base, type: 'approval.granted', changeId: 'CHG-9' })).toMatchObject({ class_uid: 3004, activity_id: 99, activity_name: 'Approve', type_uid: 300499 });
    expect(toOcsf({ ...base, type: 'config.changed' })).toMatchObject({ class_uid: 3004, activity_id: 3, entity: { uid: 'payments-api', type: 'service' } });
  });

  it('maps alert transitions to Detection Finding with the rule severity', () => {
    const alert = (transition: string, severity: string) => toOcsf({ ...base, type: 'alert.fired', resource: { kind: 'alert', id: 'al-1', environment: 'audit', name: 'Deploy without approval' }, details: { transition, severity, ruleId: 'no-approval' } });
    expect(alert('fired', 'high')).toMatchObject({ class_uid: 2004, category_uid: 2, activity_id: 1, severity_id: 4, severity: 'High', finding_info: { uid: 'al-1', title: 'Deploy without approval', analytic: { uid: 'no-approval' } } });
    expect(alert('resolved', 'low')).toMatchObject({ activity_id: 3, severity_id: 2 });
  });

  it('is deterministic: the same entry gives the same line (the verifier recomputes it)', () => {
    const entry = { ...base, type: 'deployment.succeeded', outcome: 'succeeded', details: { b: 1, a: [2] } };
    expect(ocsfLine(entry)).toBe(ocsfLine(JSON.parse(JSON.stringify(entry)) as Record<string, unknown>));
    expect(ocsfLine(entry).endsWith('\n')).toBe(true);
    expect(ocsfLine(entry).slice(0, -1)).not.toContain('\n');
  });
});

describe('OCSF in a bundle', () => {
  let dir: string;
  const key = generateSigningKey('test-ledger-key');
  const tenant = 'acme';
  const records: BundleRecord[] = [];
  for (let seq = 1; seq <= 9; seq++) {
    const canonical = canonicalize({ ...base, tenant, seq, id: `0190c1a2-7b3c-7def-8a12-${String(seq).padStart(12, '0')}`, type: seq % 3 === 0 ? 'access.granted' : 'deployment.succeeded', outcome: 'succeeded', ...(seq % 3 === 0 ? { access: { principal: 'bob', role: 'admin' } } : {}) });
    records.push({ seq, canonical, leafHash: hashLeaf(Buffer.from(canonical)) });
  }
  const leaves = records.map((r) => r.leafHash);
  const origin = `audit-ledger.local/tenant/${tenant}`;
  const rootHash = rootFromLeafHashes(leaves);
  const note = signCheckpoint({ origin, size: 9, rootHash, time: '2026-01-31T12:00:05Z', prevNoteHash: null }, key.signer);

  async function write(out: string, format: 'ocsf' | undefined, ocsf = format === 'ocsf', redactSeq?: number) {
    const writer = await BundleWriter.open({ tenant, ocsf });
    for (const r of records) await writer.add(r.seq === redactSeq ? { ...r, canonical: null } : r);
    return writer.finish(
      {
        exportId: 'exp-ocsf',
        tenant,
        createdAt: new Date('2026-02-01T00:00:00.000Z'),
        requestedBy: { id: 'auditor@example.com', roles: ['auditor'], via: 'api' },
        request: format ? { format } : {},
        contiguous: true,
        checkpointNote: note,
        checkpoint: { origin, size: 9, rootHash },
        treeLeaves: Buffer.concat(leaves),
        verifierKeys: [formatVerifierKey(key.verifierKey)],
        publicKeyPems: [key.publicKeyPem],
        keySource: 'ledger-service',
      },
      out,
    );
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ocsf-spec-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes events.ocsf.jsonl (one line per record with a payload), lists it in the manifest and verifies', async () => {
    const out = join(dir, 'ocsf.tar.gz');
    const { manifest } = await write(out, 'ocsf', true, 4);
    expect(manifest.files.map((f) => f.path)).toContain(BUNDLE_FILES.ocsf);
    expect(manifest.keySource).toBe('ledger-service');
    expect(await verifyBundle(out, { publicKeyPems: [key.publicKeyPem] })).toMatchObject({ ok: true, records: 9, redacted: 1 });
    const unpacked = join(dir, 'ocsf-unpacked');
    await unpackBundle(out, unpacked);
    const lines = (await readFile(join(unpacked, BUNDLE_FILES.ocsf), 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(8);
    expect(lines.map((l) => (JSON.parse(l) as { metadata: { sequence: number } }).metadata.sequence)).toEqual([1, 2, 3, 5, 6, 7, 8, 9]);
    expect(await readFile(join(unpacked, BUNDLE_FILES.readme), 'utf8')).toMatch(/fetched from the ledger service's\nGET \/v1\/keys/);
  });

  it('fails when the OCSF file is edited even with a manifest rewritten to match', async () => {
    const out = join(dir, 'ocsf2.tar.gz');
    await write(out, 'ocsf');
    const unpacked = join(dir, 'ocsf-edit');
    await unpackBundle(out, unpacked);
    const path = join(unpacked, BUNDLE_FILES.ocsf);
    const text = (await readFile(path, 'utf8')).replace('"status_id":1', '"status_id":2');
    await writeFile(path, text);
    const manifestPath = join(unpacked, BUNDLE_FILES.manifest);
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { files: { path: string; sha256: string; bytes: number }[] };
    const { createHash } = await import('node:crypto');
    const entry = manifest.files.find((f) => f.path === BUNDLE_FILES.ocsf)!;
    entry.sha256 = createHash('sha256').update(text).digest('hex');
    entry.bytes = Buffer.byteLength(text);
    await writeFile(manifestPath, JSON.stringify(manifest));
    const repacked = join(dir, 'ocsf2-edited.tar.gz');
    await packBundle(unpacked, repacked);
    const verdict = await verifyBundle(repacked, { publicKeyPems: [key.publicKeyPem] });
    expect(verdict.ok).toBe(false);
    expect(verdict.problems).toEqual([{ file: BUNDLE_FILES.ocsf, detail: 'does not match the records (recomputed from events.jsonl)' }]);
  });

  it('fails when the OCSF file was asked for but dropped, or is present without being asked for', async () => {
    const out = join(dir, 'ocsf3.tar.gz');
    await write(out, 'ocsf');
    const unpacked = join(dir, 'ocsf-drop');
    await unpackBundle(out, unpacked);
    await rm(join(unpacked, BUNDLE_FILES.ocsf));
    const dropped = await verifyBundle(unpacked, { publicKeyPems: [key.publicKeyPem] });
    expect(dropped.ok).toBe(false);
    expect(dropped.problems.map((p) => p.file)).toContain(BUNDLE_FILES.ocsf);

    const plain = join(dir, 'plain.tar.gz');
    await write(plain, undefined);
    const plainDir = join(dir, 'plain-extra');
    await unpackBundle(plain, plainDir);
    await writeFile(join(plainDir, BUNDLE_FILES.ocsf), ocsfLine(JSON.parse(records[0]!.canonical!) as Record<string, unknown>));
    const extra = await verifyBundle(plainDir, { publicKeyPems: [key.publicKeyPem] });
    expect(extra.problems).toEqual(
      expect.arrayContaining([
        { file: BUNDLE_FILES.ocsf, detail: 'file is not listed in the manifest' },
        { file: BUNDLE_FILES.ocsf, detail: 'the request did not ask for format "ocsf"' },
      ]),
    );
  });

  it('refuses a writer whose ocsf option disagrees with the request', async () => {
    await expect(write(join(dir, 'never.tar.gz'), undefined, true)).rejects.toThrow(/ocsf/);
  });
});
