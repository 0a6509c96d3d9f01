import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE_FILES, unpackBundle, verifyBundle } from '@audit/export-bundle';
import { formatVerifierKey } from '@audit/ledger-core';
import { anAcceptedEvent, aTenant, expectEventually } from '@audit/testing';
import { runCli } from '../../cli/src/main';
import { LedgerHarness } from '../../ledger/test/ledger-harness';
import { QueryHarness, type Json } from './support/query-harness';

/**
 * Export jobs end to end on the real stack: the real ledger service (hash chain, signed checkpoints)
 * writes the tenant's records, the query service exports them through POST /v1/exports, the bundle is
 * downloaded and verified offline with nothing but the ledger's key, and the export is recorded in the
 * ledger as an export.created event.
 */
describe('export jobs (POST /v1/exports, real Kafka, Postgres, OpenSearch and ledger)', () => {
  const ledger = new LedgerHarness();
  const q = new QueryHarness();
  const tenant = aTenant('ex');
  const other = aTenant('ex');
  const changeId = `CHG-exp-${tenant}`;
  const dir = mkdtempSync(join(tmpdir(), 'exports-int-'));
  const pem = join(dir, 'ledger-key.pem');
  let auditor: string;
  let queryStopped = false;

  async function post(body: unknown, token?: string) {
    const res = await q.app.inject({
      method: 'POST',
      url: '/v1/exports',
      payload: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
    return { status: res.statusCode, body: JSON.parse(res.body) as Json, contentType: String(res.headers['content-type'] ?? '') };
  }

  async function download(h: QueryHarness, id: string, token: string) {
    const res = await h.app.inject({ method: 'GET', url: `/v1/exports/${id}/download`, headers: { authorization: `Bearer ${token}` } });
    return { status: res.statusCode, headers: res.headers, payload: res.rawPayload, body: res.statusCode === 200 ? {} : (JSON.parse(res.body) as Json) };
  }

  async function finished(h: QueryHarness, id: string, token: string): Promise<Json> {
    let job: Json = {};
    await expectEventually(
      async () => {
        job = (await h.get(`/v1/exports/${id}`, token)).body;
        expect({ status: job.status, error: job.error }).toEqual({ status: 'succeeded', error: undefined });
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    return job;
  }

  async function fetchBundle(h: QueryHarness, id: string, token: string, name: string): Promise<string> {
    const res = await download(h, id, token);
    expect(res.status).toBe(200);
    const path = join(dir, name);
    writeFileSync(path, res.payload);
    return path;
  }

  async function exportEvents(forTenant: string): Promise<Json[]> {
    const { rows } = await ledger.pool.query<{ canonical: string }>(`SELECT canonical FROM ledger.records WHERE tenant = $1 AND type = 'export.created' ORDER BY seq`, [forTenant]);
    return rows.map((r) => JSON.parse(r.canonical) as Json);
  }

  beforeAll(async () => {
    writeFileSync(pem, ledger.key.publicKeyPem);
    await ledger.start();
    const events = Array.from({ length: 30 }, (_, i) =>
      anAcceptedEvent(tenant, {
        type: i % 5 === 0 ? 'change.requested' : 'deployment.succeeded',
        outcome: i % 5 === 0 ? undefined : 'succeeded',
        changeId: i % 5 === 0 ? changeId : `CHG-${i}`,
        artifact: { digest: `sha256:${'c'.repeat(64)}`, kind: 'container-image' },
        resource: { kind: 'service', id: `svc-${i}`, environment: i % 3 === 0 ? 'staging' : 'prod' },
      }),
    );
    await ledger.send([...events, ...Array.from({ length: 4 }, () => anAcceptedEvent(other))]);
    await expectEventually(async () => {
      const { rows } = await ledger.pool.query('SELECT tenant, max(size) AS size FROM ledger.checkpoints WHERE tenant = ANY($1) GROUP BY tenant', [[tenant, other]]);
      expect(Object.fromEntries(rows.map((r) => [r.tenant, Number(r.size)]))).toEqual({ [tenant]: 30, [other]: 4 });
    });
    await q.start({
      KAFKA_TOPIC_NAMESPACE: ledger.namespace,
      EXPORT_DIR: join(dir, 'bundles'),
      EXPORT_TRUSTED_KEYS: formatVerifierKey(ledger.key.verifierKey),
      EXPORT_POLL_MS: '200',
      EXPORT_STALE_AFTER_MS: '5000',
    });
    auditor = await q.token(tenant, ['auditor'], 'carol@example.com');
  }, 120_000);

  afterAll(async () => {
    if (!queryStopped) await q.stop();
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exports the tenant\'s ledger: queued → succeeded, downloadable, verifies offline, recorded as export.created', async () => {
    const created = await post({ from: '2020-01-01T00:00:00Z' }, auditor);
    expect(created.status).toBe(202);
    expect(created.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'queued', links: { self: `/v1/exports/${created.body.id}`, download: `/v1/exports/${created.body.id}/download` } });
    const id = created.body.id as string;

    const job = await finished(q, id, auditor);
    expect(job).toMatchObject({ id, status: 'succeeded', progress: { phase: 'done', records: 30, total: 30 }, requestedBy: 'carol@example.com', bytes: expect.any(Number), manifestSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(Date.parse(job.finishedAt)).toBeGreaterThanOrEqual(Date.parse(job.createdAt));

    const res = await download(q, id, auditor);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/gzip');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="audit-export-${tenant}-${id}.tar.gz"`);
    expect(res.payload.length).toBe(job.bytes);
    const bundle = join(dir, 'all.tar.gz');
    writeFileSync(bundle, res.payload);

    // Offline: nothing but the bundle and the ledger's key.
    const verdict = await verifyBundle(bundle, { trustedKeys: [ledger.key.verifierKey] });
    expect(verdict).toMatchObject({ ok: true, tenant, records: 30, redacted: 0, problems: [] });
    const cli = { out: '', code: -1 };
    cli.code = await runCli(['verify-export', bundle, '--public-key', pem], { stdout: (t) => void (cli.out += t), stderr: () => undefined, env: {} });
    expect(cli).toMatchObject({ code: 0, out: expect.stringMatching(/^VERIFIED /) });

    const unpacked = join(dir, 'all');
    await unpackBundle(bundle, unpacked);
    const manifestText = readFileSync(join(unpacked, BUNDLE_FILES.manifest));
    expect(createHash('sha256').update(manifestText).digest('hex')).toBe(job.manifestSha256);
    const manifest = JSON.parse(manifestText.toString('utf8')) as Json;
    expect(manifest).toMatchObject({ exportId: id, tenant, contiguous: true, keySource: 'operator', requestedBy: { id: 'carol@example.com', roles: ['auditor'], via: 'api' }, range: { firstSeq: 1, lastSeq: 30 } });
    const changes = JSON.parse(readFileSync(join(unpacked, BUNDLE_FILES.changes), 'utf8')) as Json;
    const story = changes.changes.find((c: Json) => c.changeId === changeId);
    expect(story).toMatchObject({ eventCount: 6 });

    // The ledger now holds the export.created event, bound to this manifest.
    await expectEventually(async () => {
      const recorded = (await exportEvents(tenant)).filter((e) => e.details.exportId === id);
      expect(recorded).toHaveLength(1);
      expect(recorded[0]).toMatchObject({
        type: 'export.created',
        actor: { id: 'carol@example.com', roles: ['auditor'] },
        resource: { kind: 'audit-export', id },
        details: { manifestSha256: job.manifestSha256, counts: { records: 30, redacted: 0 }, request: { from: '2020-01-01T00:00:00.000Z' }, format: 'bundle' },
      });
    });
  });

  it('exports a query-filtered subset with a multi-proof and OCSF events, that still verifies', async () => {
    const created = await post({ query: 'env:staging type:deployment.*', format: 'ocsf' }, auditor);
    expect(created.status).toBe(202);
    const job = await finished(q, created.body.id, auditor);
    // i % 3 === 0 is staging, i % 5 === 0 is a change request: i in {3, 6, 9, 12, 18, 21, 24, 27}.
    expect(job.progress.records).toBe(8);
    expect(job.progress.total).toBeUndefined(); // a filter's count is not known up front; the range size would mislead
    const bundle = await fetchBundle(q, job.id, auditor, 'staging.tar.gz');
    expect(await verifyBundle(bundle, { publicKeyPems: [ledger.key.publicKeyPem] })).toMatchObject({ ok: true, records: 8 });

    const unpacked = join(dir, 'staging');
    await unpackBundle(bundle, unpacked);
    const manifest = JSON.parse(readFileSync(join(unpacked, BUNDLE_FILES.manifest), 'utf8')) as Json;
    expect(manifest).toMatchObject({ contiguous: false, request: { query: 'env:staging type:deployment.*', format: 'ocsf' } });
    const records = readFileSync(join(unpacked, BUNDLE_FILES.events), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Json);
    expect(records.map((r) => r.resource.environment)).toEqual(Array(8).fill('staging'));
    expect(records.map((r) => r.seq)).toEqual([4, 7, 10, 13, 19, 22, 25, 28]);
    const ocsf = readFileSync(join(unpacked, BUNDLE_FILES.ocsf), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Json);
    expect(ocsf.map((o) => [o.class_uid, o.metadata.sequence])).toEqual(records.map((r) => [6002, r.seq]));
  });

  it('exports one change, and the CLI writes the same OCSF file for it', async () => {
    const created = await post({ change: changeId, format: 'ocsf' }, auditor);
    const job = await finished(q, created.body.id, auditor);
    expect(job.progress.records).toBe(6);
    expect(job.progress.total).toBeUndefined();
    const bundle = await fetchBundle(q, job.id, auditor, 'change.tar.gz');
    expect(await verifyBundle(bundle, { trustedKeys: [ledger.key.verifierKey] })).toMatchObject({ ok: true, records: 6 });

    const cliBundle = join(dir, 'cli-change.tar.gz');
    const out = { text: '', err: '' };
    const code = await runCli(['export', '--tenant', tenant, '--change', changeId, '--format', 'ocsf', '--public-key', pem, '--out', cliBundle], {
      stdout: (t) => void (out.text += t),
      stderr: (t) => void (out.err += t),
      env: { DATABASE_URL: process.env.DATABASE_URL },
    });
    expect({ code, err: out.err.includes('Error') ? out.err : '' }).toEqual({ code: 0, err: '' });
    expect((await verifyBundle(cliBundle, { publicKeyPems: [ledger.key.publicKeyPem] })).ok).toBe(true);
    const [api, cli] = await Promise.all(
      [bundle, cliBundle].map(async (b, i) => {
        const d = join(dir, `cmp-${i}`);
        await unpackBundle(b, d);
        return readFileSync(join(d, BUNDLE_FILES.ocsf), 'utf8');
      }),
    );
    expect(cli).toBe(api);
  });

  it('refuses viewers and analysts (403) and requests without a valid token (401)', async () => {
    for (const role of ['viewer', 'analyst'] as const) {
      const token = await q.token(tenant, [role]);
      const res = await post({}, token);
      expect(res.status).toBe(403);
      expect(res.contentType).toContain('application/problem+json');
      expect(res.body.detail).toMatch(/auditor role/);
      expect((await q.get('/v1/exports', token)).status).toBe(403);
    }
    expect((await post({})).status).toBe(401);
    expect((await q.get('/v1/exports')).status).toBe(401);
  });

  it('refuses bad input with a problem naming the field and the rule', async () => {
    const unknown = await post({ from: '2026-01-01T00:00:00Z', tenant: other }, auditor);
    expect(unknown.status).toBe(422);
    expect(unknown.contentType).toContain('application/problem+json');
    expect(unknown.body).toMatchObject({ type: 'https://audit-ledger.dev/problems/invalid-export-request', errors: [{ path: 'tenant', message: expect.stringMatching(/not a field/) }] });
    const badTime = await post({ from: 'yesterday' }, auditor);
    expect(badTime).toMatchObject({ status: 422, body: { errors: [{ path: 'from', message: expect.stringMatching(/RFC 3339/) }] } });
    const badQuery = await post({ query: 'details.secret:x' }, auditor);
    expect(badQuery).toMatchObject({ status: 422, body: { errors: [{ path: 'query', message: expect.stringMatching(/position/) }], position: expect.any(Number) } });
    const badFormat = await post({ format: 'xml' }, auditor);
    expect(badFormat).toMatchObject({ status: 422, body: { errors: [{ path: 'format' }] } });
    expect((await q.get('/v1/exports?limit=0', auditor)).body).toMatchObject({ status: 400, errors: [{ path: 'limit' }] });
  });

  it('keeps tenants apart: another tenant\'s job is a 404 and is not listed', async () => {
    const mine = (await q.get('/v1/exports', auditor)).body.exports as Json[];
    expect(mine.length).toBeGreaterThanOrEqual(3);
    const id = mine[0]!.id as string;
    const otherAuditor = await q.token(other, ['auditor']);
    const seen = await q.get(`/v1/exports/${id}`, otherAuditor);
    expect(seen.status).toBe(404);
    expect(seen.body.type).toMatch(/not-found$/);
    expect((await download(q, id, otherAuditor)).status).toBe(404);
    expect((await q.get('/v1/exports', otherAuditor)).body.exports).toEqual([]);
    expect((await q.get('/v1/exports/not-an-id', auditor)).status).toBe(404);
  });

  it('answers 409 while a job runs, and fails a running job whose runner stopped', async () => {
    const id = randomUUID();
    await ledger.pool.query(
      `INSERT INTO query.export_jobs (tenant, id, status, request, requested_by, phase, records, created_at, started_at, heartbeat_at)
       VALUES ($1, $2, 'running', '{}', '{"sub":"carol@example.com","roles":["auditor"],"groups":[]}', 'records', 120, now(), now(), now() + interval '1 hour')`,
      [tenant, id],
    );
    const busy = await download(q, id, auditor);
    expect(busy.status).toBe(409);
    expect(busy.body.detail).toMatch(/is running \(records, 120 records so far\)/);
    // The runner "died": its heartbeat is old. The sweep (also run at startup) fails the job with a clear error.
    await ledger.pool.query(`UPDATE query.export_jobs SET heartbeat_at = now() - interval '1 hour' WHERE id = $1`, [id]);
    await expectEventually(async () => {
      const job = (await q.get(`/v1/exports/${id}`, auditor)).body;
      expect(job).toMatchObject({ status: 'failed', error: expect.stringMatching(/stopped while this export was running .*request the export again/) });
    });
    const failed = await download(q, id, auditor);
    expect(failed).toMatchObject({ status: 409, body: { detail: expect.stringMatching(/failed: the query service stopped/) } });
  });

  it('without configured keys, checks the checkpoint with the ledger service\'s published keys and says so in the bundle', async () => {
    await q.stop();
    queryStopped = true;
    await ledger.app!.listen(0, '127.0.0.1');
    const url = await ledger.app!.getUrl();
    const replica = new QueryHarness();
    await replica.start({ KAFKA_TOPIC_NAMESPACE: ledger.namespace, QUERY_PROJECTORS: '', EXPORT_DIR: join(dir, 'bundles'), EXPORT_TRUSTED_KEYS: '', EXPORT_LEDGER_URL: url.replace('[::1]', '127.0.0.1'), EXPORT_POLL_MS: '200' });
    try {
      const token = await replica.token(tenant, ['admin']);
      const res = await replica.app.inject({ method: 'POST', url: '/v1/exports', payload: { change: changeId }, headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(202);
      const job = await finished(replica, (JSON.parse(res.body) as Json).id, token);
      const bundle = await fetchBundle(replica, job.id, token, 'fetched-keys.tar.gz');
      expect((await verifyBundle(bundle, { trustedKeys: [ledger.key.verifierKey] })).ok).toBe(true);
      const unpacked = join(dir, 'fetched');
      await unpackBundle(bundle, unpacked);
      expect(JSON.parse(readFileSync(join(unpacked, BUNDLE_FILES.manifest), 'utf8'))).toMatchObject({ keySource: 'ledger-service' });
      expect(readFileSync(join(unpacked, BUNDLE_FILES.readme), 'utf8')).toMatch(/fetched from the ledger service's/);
    } finally {
      await replica.stop();
    }
  });
});
