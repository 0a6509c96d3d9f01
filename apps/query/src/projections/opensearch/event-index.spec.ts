import { documentId, EVENT_MAPPINGS, indexName, indexTemplate, redactedDocument, tenantIndexPattern } from './event-index';

describe('event index layout', () => {
  it('partitions by tenant and UTC month of occurredAt', () => {
    expect(indexName('audit-events', 'acme', '2026-01-31T23:30:00-01:00')).toBe('audit-events-acme_2026.02');
    expect(indexName('audit-events', 'acme', '2026-11-05T00:00:00Z')).toBe('audit-events-acme_2026.11');
    expect(documentId('acme', 7)).toBe('acme:7');
  });

  it("never lets one tenant's pattern match another tenant's indices", () => {
    const matches = (pattern: string, index: string) => new RegExp(`^${pattern.replace(/[.]/g, '\\.').replace('*', '.*')}$`).test(index);
    const pattern = tenantIndexPattern('audit-events', 'a');
    expect(matches(pattern, indexName('audit-events', 'a', '2026-01-01T00:00:00Z'))).toBe(true);
    expect(matches(pattern, indexName('audit-events', 'a-2026', '2026-01-01T00:00:00Z'))).toBe(false);
    expect(matches(pattern, indexName('audit-events', 'a-b', '2026-01-01T00:00:00Z'))).toBe(false);
  });

  it('maps every field explicitly, refuses unknown ones and keeps details from growing the mapping', () => {
    expect(EVENT_MAPPINGS.dynamic).toBe('strict');
    expect(EVENT_MAPPINGS.properties.details).toEqual({ type: 'flat_object' });
    expect(EVENT_MAPPINGS.properties.reason).toMatchObject({ type: 'text', fields: { keyword: { type: 'keyword' } } });
    expect(EVENT_MAPPINGS.properties.occurredAt.type).toBe('date');
    expect(indexTemplate('p').index_patterns).toEqual(['p-*']);
  });
});

describe('a redacted document', () => {
  it('keeps what the ledger row keeps and drops every payload field', () => {
    const doc = {
      tenant: 'acme', seq: 7, id: 'e1', version: 1, type: 'deployment.failed', occurredAt: '2026-01-01T00:00:00Z', receivedAt: '2026-01-01T00:00:01Z',
      recordedAt: '2026-01-01T00:00:02Z', changeId: 'CHG-1', hash: 'h', prevHash: 'p', leafHash: 'l',
      actor: { id: 'alice@example.com' }, resource: { id: 'payments' }, reason: 'secret', details: { token: 'x' }, outcome: 'failed', provenance: { kind: 'api_key' },
    };
    const redacted = redactedDocument(doc, new Date('2026-06-01T00:00:00Z'));
    expect(redacted).toEqual({
      tenant: 'acme', seq: 7, id: 'e1', version: 1, type: 'deployment.failed', occurredAt: '2026-01-01T00:00:00Z', receivedAt: '2026-01-01T00:00:01Z',
      recordedAt: '2026-01-01T00:00:02Z', changeId: 'CHG-1', hash: 'h', prevHash: 'p', leafHash: 'l', redactedAt: '2026-06-01T00:00:00.000Z',
    });
    for (const field of Object.keys(redacted)) expect(EVENT_MAPPINGS.properties).toHaveProperty(field);
  });
});
