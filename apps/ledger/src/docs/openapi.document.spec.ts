import { buildLedgerOpenApi } from './openapi.document';

describe('ledger OpenAPI document', () => {
  it('describes every route with the parameters its validator accepts', () => {
    const doc = buildLedgerOpenApi() as { paths: Record<string, { get: { parameters?: { name: string }[] } }> };
    expect(Object.keys(doc.paths).sort()).toEqual(['/v1/checkpoints', '/v1/keys', '/v1/proofs/consistency', '/v1/proofs/inclusion', '/v1/verification']);
    expect(doc.paths['/v1/proofs/inclusion']!.get.parameters!.map((p) => p.name).sort()).toEqual(['eventId', 'seq', 'treeSize']);
    expect(doc.paths['/v1/proofs/consistency']!.get.parameters!.map((p) => p.name).sort()).toEqual(['from', 'to']);
  });
});
