import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AcceptedEvent, AuditEventInput, EVENT_LIMITS, occurredInFuture, toFieldIssues, TOPICS } from './index';
import { JSON_SCHEMA_FILE, renderJsonSchema } from './json-schema';

const valid = {
  type: 'deployment.started',
  occurredAt: '2026-11-25T10:00:00Z',
  actor: { id: 'ci-bot', type: 'pipeline', roles: ['deployer'] },
  resource: { kind: 'k8s.deployment', id: 'payments/api', environment: 'prod' },
  changeId: 'CHG-1',
  artifact: { digest: `sha256:${'a'.repeat(64)}` },
};

function issuesOf(input: unknown) {
  const r = AuditEventInput.safeParse(input);
  return r.success ? [] : toFieldIssues(r.error);
}

describe('AuditEventInput', () => {
  it('accepts a valid event and fills defaults', () => {
    const parsed = AuditEventInput.parse(valid);
    expect(parsed.version).toBe(1);
    expect(parsed.actor.teams).toEqual([]);
    expect(parsed.artifact?.kind).toBe('container-image');
  });

  it('rejects unknown fields, naming them', () => {
    expect(issuesOf({ ...valid, colour: 'blue' })).toEqual([{ path: '', message: 'unknown field(s): colour' }]);
    expect(issuesOf({ ...valid, actor: { ...valid.actor, admin: true } })).toEqual([
      { path: 'actor', message: 'unknown field(s): admin' },
    ]);
  });

  it('refuses server-set fields from emitters (tenant, id, seq)', () => {
    const issues = issuesOf({ ...valid, tenant: 'other', id: 'x', seq: 3 });
    expect(issues[0]?.message).toMatch(/unknown field\(s\): tenant, id, seq/);
  });

  it('names the field and rule for bad enum values and formats', () => {
    const issues = issuesOf({ ...valid, type: 'deployment.exploded', occurredAt: 'yesterday' });
    expect(issues.map((i) => i.path).sort()).toEqual(['occurredAt', 'type']);
    expect(issues.find((i) => i.path === 'occurredAt')?.message).toMatch(/RFC 3339/);
  });

  it('enforces per-type required fields', () => {
    const { artifact: _artifact, ...withoutArtifact } = valid;
    expect(issuesOf(withoutArtifact)).toEqual([{ path: 'artifact', message: 'is required for type deployment.started' }]);
    expect(issuesOf({ ...valid, type: 'approval.rejected' }).map((i) => i.path).sort()).toEqual(['plan', 'reason']);
  });

  it('refuses control characters in single-line fields', () => {
    const issues = issuesOf({ ...valid, actor: { ...valid.actor, id: 'ali\u0000ce' } });
    expect(issues).toEqual([{ path: 'actor.id', message: 'must not contain control characters' }]);
  });

  it('bounds details by size and depth', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 10; i++) deep = { nested: deep };
    expect(issuesOf({ ...valid, details: deep })[0]?.message).toMatch(/nest at most 8 levels/);
    expect(issuesOf({ ...valid, details: { blob: 'x'.repeat(20_000) } })[0]?.message).toMatch(/at most 16384 bytes/);
  });

  it('bounds the whole event', () => {
    const big = { ...valid, reason: 'r'.repeat(4000), details: Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`k${i}`, 'v'.repeat(3000)])) };
    expect(Buffer.byteLength(JSON.stringify(big))).toBeLessThan(EVENT_LIMITS.maxEventBytes);
    expect(issuesOf(big)).toEqual([]);
  });

  it('detects timestamps in the far future', () => {
    const now = new Date('2026-11-25T10:00:00Z');
    expect(occurredInFuture('2026-11-25T10:04:00Z', now)).toBe(false);
    expect(occurredInFuture('2027-01-01T00:00:00Z', now)).toBe(true);
  });
});

describe('AcceptedEvent', () => {
  it('requires tenant, UUIDv7 id and receivedAt', () => {
    const r = AcceptedEvent.safeParse({ ...valid, tenant: 'acme', id: '0190b6c4-6b7a-4c3e-8f00-000000000000', receivedAt: '2026-11-25T10:00:01Z' });
    expect(r.success).toBe(false);
    const ok = AcceptedEvent.safeParse({ ...valid, tenant: 'acme', id: '0190b6c4-6b7a-7c3e-8f00-000000000000', receivedAt: '2026-11-25T10:00:01Z' });
    expect(ok.success).toBe(true);
  });
});

describe('topics', () => {
  it('have versioned, unique names', () => {
    const names = Object.values(TOPICS).map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^audit\.[a-z]+\.v\d+$/);
  });
});

describe('committed JSON Schema', () => {
  it('is up to date with the zod schema (run `npm run contracts:schema` to regenerate)', () => {
    const committed = readFileSync(join(__dirname, '..', '..', '..', JSON_SCHEMA_FILE), 'utf8');
    expect(committed).toBe(renderJsonSchema());
  });
});
