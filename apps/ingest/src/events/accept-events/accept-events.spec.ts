import { anEventInput } from '@audit/testing';
import { apiKeyProvenance, type EmitterScope } from '../../auth/api-key';
import { secretScanner } from '../secret-scan/secret-scanner';
import { batchEventsOf, idempotencyKeyOf } from './accept-events.request';
import { stampEvents } from './accept-events.stamp';
import { validateEvents } from './accept-events.validation';

const now = new Date('2026-11-25T10:00:00Z');
const scope = (over: Partial<EmitterScope> = {}): EmitterScope => ({ keyId: 'k', tenant: 'acme', allowedSources: [], allowedTypes: [], scopes: [], ...over });

const scanner = secretScanner('spec-salt-0123456789');

describe('validateEvents', () => {
  it('accepts valid events and fills defaults', () => {
    const r = validateEvents([anEventInput()], { now, scope: scope(), indexed: false });
    expect(r.ok && r.value[0]?.version).toBe(1);
  });

  it('reports every bad event of a batch by index, path and rule', () => {
    const r = validateEvents([anEventInput(), { ...anEventInput(), type: 'nope' }, { ...anEventInput(), tenant: 'x' }], { now, indexed: true });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.problem.status).toBe(422);
    expect(r.error.problem.errors).toEqual([
      expect.objectContaining({ index: 1, path: 'type' }),
      { index: 2, path: '', message: 'unknown field(s): tenant' },
    ]);
    expect(r.error.problem.detail).toMatch(/2 of 3 events are invalid/);
  });

  it('refuses events more than 5 minutes in the future, allows small skew', () => {
    expect(validateEvents([anEventInput({ occurredAt: '2026-11-25T10:04:59Z' })], { now, indexed: false }).ok).toBe(true);
    const r = validateEvents([anEventInput({ occurredAt: '2026-11-25T10:06:00Z' })], { now, indexed: false });
    expect(!r.ok && r.error.problem.errors?.[0]?.path).toBe('occurredAt');
  });

  it('refuses events before the earliest occurredAt (default 2000-01-01, configurable), naming the bound', () => {
    const errors = (occurredAt: string, earliest?: string) => {
      const r = validateEvents([anEventInput({ occurredAt })], { now, indexed: false, ...(earliest ? { bounds: { earliest: new Date(earliest), maxFutureSkewMs: 300_000 } } : {}) });
      return r.ok ? [] : r.error.problem.errors;
    };
    expect(errors('0001-01-01T00:00:00Z')).toEqual([{ path: 'occurredAt', message: 'must not be before 1970-01-01T00:00:00.000Z' }]);
    expect(errors('1970-01-01T00:00:00Z')).toEqual([{ path: 'occurredAt', message: 'must not be before 2000-01-01T00:00:00.000Z (the earliest occurredAt accepted)' }]);
    expect(errors('2000-01-01T00:00:00Z')).toEqual([]);
    expect(errors('2019-06-01T00:00:00Z', '2020-01-01T00:00:00Z')).toEqual([expect.objectContaining({ path: 'occurredAt', message: expect.stringMatching(/before 2020-01-01/) as unknown })]);
  });

  it('answers 403 for types and sources outside the key scope, 422 first when the data is also bad', () => {
    const typed = validateEvents([anEventInput()], { now, scope: scope({ allowedTypes: ['plan.created'] }), indexed: false });
    expect(!typed.ok && typed.error.problem.status).toBe(403);
    const sourced = validateEvents([anEventInput({ source: { system: 'jenkins' } })], { now, scope: scope({ allowedSources: ['github'] }), indexed: false });
    expect(!sourced.ok && sourced.error.problem.errors?.[0]?.path).toBe('source.system');
    const unsourced = validateEvents([anEventInput()], { now, scope: scope({ allowedSources: ['github'] }), indexed: false });
    expect(!unsourced.ok && unsourced.error.problem.status).toBe(403);
    const both = validateEvents([{ ...anEventInput(), colour: 1 }], { now, scope: scope({ allowedTypes: ['plan.created'] }), indexed: false });
    expect(!both.ok && both.error.problem.status).toBe(422);
    expect(validateEvents([anEventInput({ source: { system: 'github' } })], { now, scope: scope({ allowedSources: ['github'] }), indexed: false }).ok).toBe(true);
  });
});

describe('request helpers', () => {
  it('takes the idempotency key from the header or the field, refusing two different ones', () => {
    expect(idempotencyKeyOf('a', undefined)).toEqual({ ok: true, value: 'a' });
    expect(idempotencyKeyOf(undefined, 'b')).toEqual({ ok: true, value: 'b' });
    expect(idempotencyKeyOf('a', 'a')).toEqual({ ok: true, value: 'a' });
    expect(idempotencyKeyOf('a', 'b').ok).toBe(false);
    expect(idempotencyKeyOf('x'.repeat(257), undefined).ok).toBe(false);
  });

  it('checks the batch envelope', () => {
    expect(batchEventsOf({ events: [1] }).ok).toBe(true);
    for (const bad of [null, [], 'x', {}, { events: [] }, { events: {} }, { events: [1], tenant: 'x' }, { events: Array.from({ length: 501 }) }]) {
      const r = batchEventsOf(bad);
      expect(!r.ok && r.error.problem.status).toBe(422);
    }
  });

  it('stamps tenant, ids, receivedAt and the provenance of the credential', () => {
    const r = validateEvents([anEventInput()], { now, indexed: false });
    if (!r.ok) throw new Error('invalid');
    const provenance = apiKeyProvenance(scope({ keyId: 'k1', scopes: ['approvals'] }), 'http');
    const stamped = stampEvents(r.value, { tenant: 'acme', ids: ['0190b6c4-6b7a-7c3e-8f00-000000000000'], receivedAt: now, provenance, scanner });
    expect(stamped.redacted).toBe(0);
    expect(stamped.events[0]).toMatchObject({
      tenant: 'acme',
      id: '0190b6c4-6b7a-7c3e-8f00-000000000000',
      receivedAt: '2026-11-25T10:00:00.000Z',
      provenance: { kind: 'api_key', id: 'k1', auth: 'api-key', scopes: ['approvals'], via: 'http' },
    });
    expect(() => stampEvents(r.value, { tenant: 'acme', ids: [], receivedAt: now, provenance, scanner })).toThrow();
  });

  it('refuses reserved types and source systems from any credential, naming the rule and the field', () => {
    for (const type of ['gate.decided', 'policy.evaluated', 'alert.fired', 'audit.read', 'ledger.verified', 'export.created', 'retention.applied'] as const) {
      const r = validateEvents([anEventInput({ type, outcome: 'allowed' })], { now, scope: scope(), indexed: false });
      expect(!r.ok && r.error.problem).toMatchObject({ status: 403, type: expect.stringContaining('reserved-assertion'), errors: [{ path: 'type', message: expect.stringMatching(/^reserved-event-type: /) }] });
    }
    for (const system of ['query-alerting', 'approval-policy', 'query', 'ledger']) {
      const r = validateEvents([anEventInput({ source: { system } })], { now, indexed: false });
      expect(!r.ok && r.error.problem).toMatchObject({ status: 403, errors: [{ path: 'source.system', message: expect.stringMatching(/^reserved-source-system: /) }] });
    }
    // A key scoped to the reserved type does not unlock it.
    const scoped = validateEvents([anEventInput({ type: 'gate.decided', outcome: 'allowed' })], { now, scope: scope({ allowedTypes: ['gate.decided'] }), indexed: false });
    expect(!scoped.ok && scoped.error.problem.status).toBe(403);
  });

  it('refuses a body that sets provenance (422 naming the field)', () => {
    const r = validateEvents([{ ...anEventInput(), provenance: { kind: 'service', id: 'approval-policy', auth: 'x' } }], { now, indexed: false });
    expect(!r.ok && r.error.problem).toMatchObject({ status: 422, errors: [{ path: '', message: expect.stringContaining('provenance') }] });
  });

  it("applies the stamped tenant's own patterns, not another tenant's", () => {
    const tenantScanner = secretScanner('spec-salt-0123456789', { acme: ['ACME-[0-9]{8}'] });
    const r = validateEvents([anEventInput({ reason: 'key ACME-12345678' })], { now, indexed: false });
    if (!r.ok) throw new Error('invalid');
    const ids = ['0190b6c4-6b7a-7c3e-8f00-000000000000'];
    expect(stampEvents(r.value, { tenant: 'acme', ids, receivedAt: now, provenance: apiKeyProvenance(scope(), 'http'), scanner: tenantScanner }).events[0]?.reason).toMatch(/^key \[REDACTED:tenant-pattern:/);
    expect(stampEvents(r.value, { tenant: 'globex', ids, receivedAt: now, provenance: apiKeyProvenance(scope(), 'http'), scanner: tenantScanner }).events[0]?.reason).toBe('key ACME-12345678');
  });

  it('replaces secrets in the text before the event is stamped, and counts them', () => {
    const r = validateEvents([anEventInput({ reason: 'rotated AKIAIOSFODNN7EXAMPLE', details: { password: 'hunter2', note: 'ok' } })], { now, indexed: false });
    if (!r.ok) throw new Error('invalid');
    const stamped = stampEvents(r.value, { tenant: 'acme', ids: ['0190b6c4-6b7a-7c3e-8f00-000000000000'], receivedAt: now, provenance: apiKeyProvenance(scope(), 'http'), scanner });
    expect(stamped.redacted).toBe(2);
    expect(stamped.events[0]?.reason).toMatch(/^rotated \[REDACTED:aws-access-key-id:[0-9a-f]{8}\]$/);
    expect(stamped.events[0]?.details).toEqual({ password: expect.stringMatching(/^\[REDACTED:secret-field:/), note: 'ok' });
  });
});
