import { Client } from '@opensearch-project/opensearch';
import type { AuditEventInput, Provenance } from '@audit/contracts';
import { aTenant, expectEventually } from '@audit/testing';
import { EVENT_MAPPINGS, indexName } from '../src/projections/opensearch/event-index';
import { QueryHarness, type Json } from './support/query-harness';

const enc = encodeURIComponent;

/**
 * Provenance in the read side, against the real Kafka, OpenSearch and Postgres: indexed under the strict
 * mapping (also in an index made before the field existed), searchable, and in every hit and the story.
 */
describe('provenance in search and the change story', () => {
  const h = new QueryHarness();
  const tenant = aTenant('qp');
  const os = new Client({ node: process.env.OPENSEARCH_URL ?? 'http://127.0.0.1:9200' });
  const key: Provenance = { kind: 'api_key', id: 'k-ci-1', auth: 'api-key', scopes: [], via: 'http' };
  const hook: Provenance = { kind: 'webhook', id: 'github:d-42', auth: 'hmac-sha256', scopes: [], via: 'github', delivery: 'd-42' };
  const asserted = (provenance: Provenance, input: Partial<AuditEventInput>) => ({ ...input, provenance }) as Partial<AuditEventInput>;
  let analyst: string;

  beforeAll(async () => {
    // An index of this tenant made with the mapping of before provenance: `dynamic: strict` would refuse
    // every new document in it unless the service adds the field at start.
    const { provenance: _added, ...legacyProperties } = EVENT_MAPPINGS.properties;
    await os.indices.create({ index: indexName(h.prefix, tenant, '2025-12-15T00:00:00Z'), body: { mappings: { dynamic: 'strict', properties: legacyProperties } } as never });
    await h.start({ QUERY_PROJECTORS: 'opensearch,postgres' });
    analyst = await h.token(tenant, ['analyst']);
    await h.commit(
      tenant,
      asserted(key, { type: 'change.requested', occurredAt: '2025-12-15T10:00:00Z', changeId: 'CHG-P1' }),
      asserted(hook, { type: 'review.submitted', occurredAt: '2026-01-05T10:00:00Z', changeId: 'CHG-P1', outcome: 'allowed' }),
      { type: 'config.changed', occurredAt: '2026-01-06T10:00:00Z', changeId: 'CHG-P1' },
    );
    await expectEventually(async () => expect((await h.get('/v1/search?size=50', analyst)).body.hits).toHaveLength(3), { timeoutMs: 45_000, intervalMs: 500 });
  });
  afterAll(async () => {
    await h.stop();
    await os.close();
  });

  const search = async (q: string) => {
    const res = await h.get(`/v1/search?q=${enc(q)}`, analyst);
    expect({ q, status: res.status }).toEqual({ q, status: 200 });
    return res.body as Json;
  };

  it('indexes provenance in old and new indices and shows it in every hit', async () => {
    const hits = (await search('')).hits as { seq: number; provenance?: Provenance }[];
    expect(hits.map((x) => [x.seq, x.provenance])).toEqual([
      [3, undefined],
      [2, hook],
      [1, key],
    ]);
  });

  it('finds events by who asserted them', async () => {
    const seqs = async (q: string) => ((await search(q)).hits as { seq: number }[]).map((x) => x.seq);
    expect(await seqs('provenance:webhook')).toEqual([2]);
    expect(await seqs('asserter:k-ci-1')).toEqual([1]);
    expect(await seqs('provenance:api_key OR provenance:webhook')).toEqual([2, 1]);
    expect(await seqs('change:CHG-P1 -provenance:api_key -provenance:webhook')).toEqual([3]);
  });

  it('shows it in the change story', async () => {
    await expectEventually(async () => {
      const res = await h.get('/v1/changes/CHG-P1', analyst);
      expect(res.status).toBe(200);
      expect((res.body.events as { seq: number; provenance?: Provenance }[]).map((e) => [e.seq, e.provenance])).toEqual([
        [1, key],
        [2, hook],
        [3, undefined],
      ]);
    }, { timeoutMs: 30_000 });
  });
});
