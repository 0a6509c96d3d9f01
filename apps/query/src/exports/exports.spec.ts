import { AcceptedEvent } from '@audit/contracts';
import type { BundleManifest } from '@audit/export-bundle';
import { formatVerifierKey, generateSigningKey } from '@audit/ledger-core';
import { matchesEvent, parseQuery } from '@audit/query-language';
import { exportCreatedEvent } from './export-created.event';
import { resolveExportKeys } from './export-keys';
import { validateExportRequest } from './export-request';

const problemOf = (body: unknown) => {
  const result = validateExportRequest(body);
  if (result.ok) throw new Error('expected a problem');
  return result.error.problem;
};

describe('export request validation', () => {
  it('accepts the documented fields and normalizes times to UTC', () => {
    const result = validateExportRequest({ from: '2026-01-01T01:00:00+01:00', to: '2026-02-01T00:00:00Z', query: 'env:prod', change: 'CHG-1', format: 'ocsf' });
    expect(result).toEqual({
      ok: true,
      value: { request: { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z', query: 'env:prod', change: 'CHG-1', format: 'ocsf' }, ast: expect.objectContaining({ kind: 'term' }) },
    });
    expect(validateExportRequest({})).toEqual({ ok: true, value: { request: {}, ast: null } });
    expect(validateExportRequest({ format: 'bundle', query: '  ' })).toEqual({ ok: true, value: { request: {}, ast: null } });
  });

  it('refuses unknown fields, naming them', () => {
    const p = problemOf({ from: '2026-01-01T00:00:00Z', tenant: 'other' });
    expect(p).toMatchObject({ status: 422, type: 'https://audit-ledger.dev/problems/invalid-export-request', errors: [{ path: 'tenant', message: expect.stringMatching(/not a field/) }] });
  });

  it('names the field and the rule for bad times, formats, ranges and queries', () => {
    expect(problemOf({ from: '2026-01-01' }).errors).toEqual([{ path: 'from', message: expect.stringMatching(/RFC 3339/) }]);
    expect(problemOf({ from: 'yesterday' }).errors).toEqual([{ path: 'from', message: expect.stringMatching(/RFC 3339/) }]);
    expect(problemOf({ to: '2026-02-30T00:00:00Z' }).errors).toEqual([{ path: 'to', message: expect.stringMatching(/not a real time/) }]);
    expect(problemOf({ format: 'csv' }).errors).toEqual([{ path: 'format', message: expect.stringMatching(/bundle.*ocsf/) }]);
    expect(problemOf({ from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }).errors).toEqual([{ path: 'to', message: 'must be after from' }]);
    const q = problemOf({ query: 'tenant:other' });
    expect(q.errors).toEqual([{ path: 'query', message: expect.stringMatching(/at position 0/) }]);
    expect(q.position).toBe(0);
    expect(problemOf([]).errors).toEqual([{ path: '(body)', message: 'must be a JSON object' }]);
    expect(problemOf({ change: 7 }).errors).toEqual([{ path: 'change', message: expect.any(String) }]);
  });
});

describe('query filter of an export (in memory, on the records as hashed)', () => {
  const entry = (over: Record<string, unknown>) =>
    ({
      version: 1,
      tenant: 'acme',
      seq: 3,
      recordedAt: '2026-01-02T00:00:01.000Z',
      id: '0190c1a2-7b3c-7def-8a12-000000000003',
      receivedAt: '2026-01-02T00:00:00.500Z',
      type: 'deployment.succeeded',
      occurredAt: '2026-01-02T00:00:00.000Z',
      actor: { id: 'alice', type: 'user', roles: ['deployer'], teams: ['payments'] },
      resource: { kind: 'service', id: 'payments-db', environment: 'prod', name: 'Payments database' },
      ...over,
    }) as unknown as AcceptedEvent;
  const ast = (q: string) => {
    const parsed = parseQuery(q);
    if (!parsed.ok) throw new Error(parsed.error.message);
    return parsed.ast;
  };

  it('keeps exactly the records the query language matches', () => {
    expect(matchesEvent(ast('env:prod type:deployment.*'), entry({}))).toBe(true);
    expect(matchesEvent(ast('env:prod -actor:alice'), entry({}))).toBe(false);
    expect(matchesEvent(ast('resource:payments-* after:2026-01-02 before:2026-01-03'), entry({}))).toBe(true);
    expect(matchesEvent(ast('before:2026-01-02'), entry({}))).toBe(false);
    expect(matchesEvent(ast('"payments database"'), entry({}))).toBe(true);
    expect(matchesEvent(ast('team:payments OR env:staging'), entry({ resource: { kind: 'service', id: 'x', environment: 'dev' } }))).toBe(true);
  });
});

describe('export.created event', () => {
  const manifest: BundleManifest = {
    format: 'audit-ledger-export/v1',
    exportId: '0190c1a2-7b3c-7def-8a12-0000000000aa',
    tenant: 'acme',
    createdAt: '2026-02-01T00:00:00.000Z',
    requestedBy: { id: 'carol@example.com', roles: ['auditor'], via: 'api' },
    request: { query: 'env:prod', format: 'ocsf' },
    contiguous: false,
    range: { firstSeq: 2, lastSeq: 40 },
    counts: { records: 12, redacted: 1, changes: 3 },
    checkpoint: { origin: 'audit-ledger.local/tenant/acme', size: 41, rootHash: `${'A'.repeat(43)}=` },
    keySource: 'ledger-service',
    files: [{ path: 'events.jsonl', sha256: 'a'.repeat(64), bytes: 10 }],
  };

  it('is a valid accepted event that says who, what was asked, counts and the manifest digest', () => {
    const now = new Date('2026-02-01T00:00:05.000Z');
    const event = AcceptedEvent.parse(
      exportCreatedEvent({
        tenant: 'acme',
        exportId: manifest.exportId,
        requester: { sub: 'carol@example.com', roles: ['auditor'], groups: ['compliance'], name: 'Carol' },
        manifest,
        manifestSha256: 'b'.repeat(64),
        bytes: 4096,
        now,
        id: '0190c1a2-7b3c-7def-8a12-0000000000bb',
      }),
    );
    expect(event).toMatchObject({
      type: 'export.created',
      tenant: 'acme',
      actor: { id: 'carol@example.com', type: 'user', roles: ['auditor'], teams: ['compliance'], displayName: 'Carol' },
      resource: { kind: 'audit-export', id: manifest.exportId },
      details: {
        exportId: manifest.exportId,
        format: 'ocsf',
        request: { query: 'env:prod', format: 'ocsf' },
        counts: { records: 12, redacted: 1, changes: 3 },
        checkpoint: { size: 41 },
        keySource: 'ledger-service',
        manifestSha256: 'b'.repeat(64),
        bytes: 4096,
      },
    });
  });
});

describe('export keys', () => {
  const key = generateSigningKey('ledger-key');
  const vkey = formatVerifierKey(key.verifierKey);

  it('uses configured keys as the operator\'s, without asking the ledger', async () => {
    const fetchSpy = jest.fn();
    const keys = await resolveExportKeys([vkey], 'http://127.0.0.1:1', fetchSpy as unknown as typeof fetch);
    expect(keys).toMatchObject({ source: 'operator', publicKeyPems: [] });
    expect(keys.trustedKeys.map(formatVerifierKey)).toEqual([vkey]);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('otherwise takes the ledger service\'s published keys and says so', async () => {
    const fake = (async () => new Response(JSON.stringify({ keys: [{ vkey }], publicKeyPem: key.publicKeyPem }))) as typeof fetch;
    const keys = await resolveExportKeys([], 'http://ledger.example/', fake);
    expect(keys.source).toBe('ledger-service');
    expect(keys.publicKeyPems).toEqual([key.publicKeyPem]);
    const failing = (async () => new Response('no', { status: 503 })) as typeof fetch;
    await expect(resolveExportKeys([], 'http://ledger.example', failing)).rejects.toThrow(/http:\/\/ledger.example\/v1\/keys \(HTTP 503\); configure EXPORT_TRUSTED_KEYS/);
  });
});
