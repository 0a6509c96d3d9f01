import { buildOpenApiDocument } from './openapi.document';

describe('OpenAPI document', () => {
  const doc = buildOpenApiDocument() as { openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, { properties?: Record<string, unknown>; additionalProperties?: unknown }> } };

  it('is OpenAPI 3.1 with every route', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(['/v1/adapters/k8s/audit', '/v1/adapters/terraform/plan', '/v1/events', '/v1/events:batch', '/v1/webhooks/github/{tenant}']);
  });

  it('is generated from the validating zod schemas (strict, same fields)', () => {
    const event = doc.components.schemas.AuditEventInput!;
    expect(event.additionalProperties).toBe(false);
    expect(Object.keys(event.properties ?? {})).toEqual(expect.arrayContaining(['type', 'occurredAt', 'actor', 'resource', 'idempotencyKey']));
    expect(event.properties).not.toHaveProperty('tenant');
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });
});
