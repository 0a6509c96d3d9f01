import { z } from 'zod';
import { ConsistencyQuery, InclusionQuery, SizeQuery } from '../proofs/ledger-proofs.http.controller';

/** Query parameters as OpenAPI parameters, from the same zod schemas that validate them. */
function parameters(schema: z.ZodType): Record<string, unknown>[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: json.required?.includes(name) ?? false, schema: s }));
}

const problem = { description: 'RFC 9457 problem', content: { 'application/problem+json': { schema: { type: 'object' } } } };
const bearer = [{ bearer: [] }];

/** OpenAPI 3.1 description of the ledger's read API: checkpoints, proofs and public keys. */
export function buildLedgerOpenApi(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Audit ledger — ledger API',
      version: '1',
      description:
        'Signed checkpoints and Merkle proofs of the caller’s tenant (the tenant comes from the bearer token). Byte formats: libs/ledger-core/README.md.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    paths: {
      '/v1/keys': {
        get: { summary: 'Public keys that sign checkpoints (current first, then retired ones still trusted)', responses: { 200: { description: 'keys' } } },
      },
      '/v1/checkpoints': {
        get: {
          summary: 'The latest signed checkpoint, or the one at tree size `size`',
          security: bearer,
          parameters: parameters(SizeQuery),
          responses: { 200: { description: '{tenant, size, rootHash, signedAt, note}' }, 401: problem, 404: problem },
        },
      },
      '/v1/proofs/inclusion': {
        get: {
          summary: 'Inclusion proof of one record (by seq or event id) against a signed checkpoint',
          security: bearer,
          parameters: parameters(InclusionQuery),
          responses: { 200: { description: '{seq, leafIndex, treeSize, leafHash, proof[], checkpoint}' }, 400: problem, 401: problem, 404: problem },
        },
      },
      '/v1/proofs/consistency': {
        get: {
          summary: 'Consistency proof between two checkpointed tree sizes',
          security: bearer,
          parameters: parameters(ConsistencyQuery),
          responses: { 200: { description: '{from, to, proof[], fromCheckpoint, toCheckpoint}' }, 400: problem, 401: problem, 404: problem },
        },
      },
      '/v1/verification': {
        get: {
          summary: "The ledger's last continuous verification of the caller's tenant (first bad seq and reason when it failed)",
          security: bearer,
          responses: { 200: { description: '{tenant, status, mode, verifiedSize, checkpointedSize, rootHash, checkedAt, lastFullAt, failure}' }, 401: problem, 404: problem },
        },
      },
    },
  };
}
