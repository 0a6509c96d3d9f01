import { z } from 'zod';
import { AcceptedResponse, AuditEventInput, BatchAcceptedResponse, EVENT_LIMITS, EventBatchRequest, Problem } from '@audit/contracts';

/** JSON Schema of a zod schema for an OpenAPI 3.1 component (draft 2020-12, without its `$schema`). */
function component(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const retryAfter = { 'Retry-After': { description: 'seconds to wait before retrying', schema: { type: 'integer' } } };

const refusals = {
  '400': problem('malformed JSON, a byte-order mark, invalid UTF-8 or a bad parameter'),
  '401': problem('missing, unknown or revoked API key'),
  '403': problem('the API key may not write this type or source, or the event makes a reserved assertion (a type or source.system only the audit ledger itself may use)'),
  '409': problem('the idempotency key was used with a different request'),
  '413': problem('body too large'),
  '415': problem('content type is not application/json'),
  '422': problem('the body does not match the schema; `errors` lists every field path and rule (with `index` in a batch)'),
  '429': { ...problem('rate limit of the API key exceeded'), headers: retryAfter },
  '503': { ...problem('Kafka or Postgres unavailable: nothing was accepted, retry with the same Idempotency-Key'), headers: retryAfter },
};

const idempotencyHeader = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: 'A retried request with the same key and body gets the first answer and is recorded once; the same key with another body is 409. Remembered for at least 24 h.',
  schema: { type: 'string', minLength: 1, maxLength: 256 },
};

/**
 * The OpenAPI 3.1 document of the ingest API, generated from the same zod schemas that validate requests,
 * so documentation and behaviour cannot drift apart.
 */
export function buildOpenApiDocument(): Record<string, unknown> {
  const accepted202 = (schema: string) => ({ description: 'accepted: durable on audit.ingested.v1 (acks=all)', content: json(ref(schema)) });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Audit ledger — ingest API',
      version: '1',
      description: `The only door into the audit ledger. Limits: one event ≤ ${EVENT_LIMITS.maxEventBytes} bytes; a batch ≤ ${EVENT_LIMITS.maxBatchEvents} events and ≤ ${EVENT_LIMITS.maxBatchBytes} bytes. Unknown fields are rejected. The tenant and the provenance (who asserted the event) come from the credential, never from the body.`,
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API key `alk_<keyId>.<secret>` (audit-ledger apikey create)' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
      },
      schemas: {
        AuditEventInput: component(AuditEventInput),
        EventBatchRequest: component(EventBatchRequest),
        AcceptedResponse: component(AcceptedResponse),
        BatchAcceptedResponse: component(BatchAcceptedResponse),
        Problem: component(Problem),
      },
    },
    security: [{ bearer: [] }, { apiKey: [] }],
    paths: {
      '/v1/events': {
        post: {
          summary: 'Send one event',
          parameters: [idempotencyHeader],
          requestBody: { required: true, content: json(ref('AuditEventInput')) },
          responses: { '202': accepted202('AcceptedResponse'), ...refusals },
        },
      },
      '/v1/events:batch': {
        post: {
          summary: 'Send up to 500 events, all or nothing',
          parameters: [idempotencyHeader],
          requestBody: { required: true, content: json(ref('EventBatchRequest')) },
          responses: { '202': accepted202('BatchAcceptedResponse'), ...refusals },
        },
      },
      '/v1/webhooks/github/{tenant}': {
        post: {
          summary: 'GitHub webhook (deployment, deployment_status, workflow_run, pull_request_review)',
          security: [],
          description: 'Authenticated by X-Hub-Signature-256 with the tenant’s webhook secret (audit-ledger webhook-secret set); deliveries are de-duplicated by what they assert (review id + state + submitted_at, deployment status id, workflow run id + attempt + status), so a redelivery or a replay under a new X-GitHub-Delivery answers 200 with duplicate: true and records nothing. Other events are acknowledged and not recorded.',
          parameters: [
            { name: 'tenant', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'X-Hub-Signature-256', in: 'header', required: true, schema: { type: 'string' } },
            { name: 'X-GitHub-Event', in: 'header', required: true, schema: { type: 'string' } },
            { name: 'X-GitHub-Delivery', in: 'header', required: true, schema: { type: 'string' } },
          ],
          requestBody: { required: true, content: json({ type: 'object' }) },
          responses: {
            '200': { description: 'duplicate: this assertion was recorded before; nothing new was recorded (body: the first ids, duplicate: true)', content: json({ type: 'object' }) },
            '202': accepted202('BatchAcceptedResponse'),
            ...refusals,
          },
        },
      },
      '/v1/adapters/terraform/plan': {
        post: {
          summary: '`terraform show -json` plan → plan.created (digest of the exact bytes, summary; no attribute values stored)',
          parameters: [
            idempotencyHeader,
            ...['changeId', 'environment'].map((name) => ({ name, in: 'query', required: true, schema: { type: 'string' } })),
            ...['workspace', 'actorId', 'runId', 'url'].map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } })),
            { name: 'actorType', in: 'query', required: false, schema: { enum: ['user', 'service', 'pipeline'] } },
          ],
          requestBody: { required: true, content: json({ type: 'object' }) },
          responses: { '202': accepted202('BatchAcceptedResponse'), ...refusals },
        },
      },
      '/v1/adapters/k8s/audit': {
        post: {
          summary: 'Kubernetes audit webhook backend: audit.k8s.io/v1 EventList → k8s.request (+ access.granted for role bindings)',
          parameters: [{ name: 'environment', in: 'query', required: true, schema: { type: 'string' }, description: 'the cluster / environment name' }],
          requestBody: { required: true, content: json({ type: 'object' }) },
          responses: { '202': accepted202('BatchAcceptedResponse'), ...refusals },
        },
      },
    },
  };
}
