import type { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import type { CommittedRecord } from '@audit/contracts';
import { PoisonMessageError, type ConsumedRecord } from '@audit/kafka';
import type { Logger } from '@audit/observability';
import { ProjectionChecksum } from '../checksum';
import { retentionRange, type RedactionsReader } from '../retention-followup';
import { documentId, EVENT_MAPPINGS, indexName, indexTemplate, redactedDocument, tenantIndexPattern, toDocument } from './event-index';

interface BulkItemResult {
  status: number;
  error?: { type?: string; reason?: string };
}

/**
 * Writes committed events to the per-tenant monthly indices with one `_bulk` per batch. `_id` is
 * `tenant:seq`, so a replay overwrites each document with itself: idempotent without bookkeeping.
 * A `retention.applied` record makes it re-read that run's seqs from the ledger and strip the payload
 * of each redacted one (`redactedAt` set), so search forgets what the ledger forgot.
 */
export class OpenSearchEventsProjector {
  constructor(
    private readonly client: OpenSearchClient,
    private readonly prefix: string,
    private readonly logger: Logger,
    private readonly redactions?: RedactionsReader,
  ) {}

  async ensureTemplate(): Promise<void> {
    await this.client.indices.putIndexTemplate({ name: this.prefix, body: indexTemplate(this.prefix) as never });
    // The template shapes new indices only; indices made before a field existed get it added (mappings are
    // additive), or `dynamic: strict` would refuse every new document in them.
    const { provenance, redactedAt } = EVENT_MAPPINGS.properties;
    await this.client.indices.putMapping({ index: `${this.prefix}-*`, allow_no_indices: true, body: { properties: { provenance, redactedAt } } as never });
  }

  async apply(records: ConsumedRecord<CommittedRecord>[], options: { refresh?: boolean } = {}): Promise<void> {
    if (records.length === 0) return;
    const body: unknown[] = [];
    for (const r of records) {
      const { event } = r.value;
      body.push({ index: { _index: indexName(this.prefix, event.tenant, event.occurredAt), _id: documentId(event.tenant, r.value.seq) } });
      body.push(toDocument(r.value));
    }
    const res = await this.client.bulk({ body: body as never, ...(options.refresh ? { refresh: 'wait_for' as const } : {}) });
    if (res.body.errors) this.throwBulkErrors(records, res.body.items as Record<string, BulkItemResult>[]);
    for (const r of records) {
      const range = retentionRange(r.value);
      if (range && this.redactions) await this.redact(r.value.event.tenant, await this.redactions(r.value.event.tenant, range.firstSeq, range.lastSeq), options);
    }
  }

  /** Replaces the documents of the given seqs by their redacted form (only what the ledger row keeps). */
  async redact(tenant: string, seqs: readonly { seq: number; redactedAt: Date }[], options: { refresh?: boolean } = {}): Promise<number> {
    let redacted = 0;
    // The documents may have been written within the last refresh interval: make them searchable first.
    if (seqs.length > 0) await this.refresh(tenant);
    for (let i = 0; i < seqs.length; i += 500) {
      const chunk = seqs.slice(i, i + 500);
      const at = new Map(chunk.map((s) => [s.seq, s.redactedAt]));
      const found = await this.client.search({
        index: tenantIndexPattern(this.prefix, tenant),
        allow_no_indices: true,
        ignore_unavailable: true,
        body: { size: chunk.length, query: { bool: { filter: [{ term: { tenant: { value: tenant } } }, { terms: { seq: chunk.map((s) => s.seq) } }] } } },
      });
      const hits = found.body.hits.hits as { _id: string; _index: string; _source: Record<string, unknown> }[];
      const body = hits.flatMap((h) => [{ index: { _index: h._index, _id: h._id } }, redactedDocument(h._source, at.get(Number(h._source['seq'])) ?? new Date())]);
      if (body.length === 0) continue;
      const res = await this.client.bulk({ body: body as never, ...(options.refresh ? { refresh: 'wait_for' as const } : {}) });
      if (res.body.errors) throw new Error(`redacting ${tenant} documents failed: ${JSON.stringify(res.body.items).slice(0, 500)}`);
      redacted += hits.length;
    }
    if (redacted > 0) this.logger.info({ tenant, redacted }, 'redacted documents after a retention run');
    return redacted;
  }

  private throwBulkErrors(records: ConsumedRecord<CommittedRecord>[], items: Record<string, BulkItemResult>[]): void {
    for (const [i, item] of items.entries()) {
      const result = Object.values(item)[0];
      if (!result || result.status < 300) continue;
      const record = records[i]!;
      // A document OpenSearch refuses for its content (mapping) can never succeed: it goes to the DLQ.
      // Anything else (429, 5xx) fails the batch, which the runner retries; the good items are simply rewritten.
      if (result.status === 400) throw new PoisonMessageError(record.offset, `OpenSearch refused ${documentId(record.value.event.tenant, record.value.seq)}: ${result.error?.type}: ${result.error?.reason}`);
      throw new Error(`bulk indexing failed with ${result.status}: ${result.error?.type}: ${result.error?.reason}`);
    }
  }

  /** Deletes every index of the tenant (by name: wildcard deletes may be disabled on the cluster). */
  async dropTenant(tenant: string): Promise<string[]> {
    const names = await this.tenantIndices(tenant);
    if (names.length > 0) await this.client.indices.delete({ index: names.join(',') });
    this.logger.info({ tenant, indices: names }, 'dropped tenant indices');
    return names;
  }

  async tenantIndices(tenant: string): Promise<string[]> {
    const res = await this.client.indices.get({ index: tenantIndexPattern(this.prefix, tenant), allow_no_indices: true, ignore_unavailable: true });
    return Object.keys(res.body).sort();
  }

  async refresh(tenant: string): Promise<void> {
    await this.client.indices.refresh({ index: tenantIndexPattern(this.prefix, tenant), allow_no_indices: true, ignore_unavailable: true });
  }

  /** Highest seq indexed for the tenant (0 when none). */
  async lastSeq(tenant: string): Promise<number> {
    await this.refresh(tenant);
    const res = await this.client.search({
      index: tenantIndexPattern(this.prefix, tenant),
      allow_no_indices: true,
      ignore_unavailable: true,
      body: { size: 0, query: { term: { tenant: { value: tenant } } }, aggs: { max: { max: { field: 'seq' } } } },
    });
    const value = (res.body.aggregations as { max?: { value: number | null } } | undefined)?.max?.value;
    return value ?? 0;
  }

  /** SHA-256 over the canonical `_source` of every document of the tenant with seq ≤ upToSeq, by seq. */
  async checksum(tenant: string, upToSeq: number): Promise<{ sha256: string; rows: number }> {
    await this.refresh(tenant);
    const sum = new ProjectionChecksum();
    let after: (string | number)[] | undefined;
    for (;;) {
      const res = await this.client.search({
        index: tenantIndexPattern(this.prefix, tenant),
        allow_no_indices: true,
        ignore_unavailable: true,
        body: {
          size: 1000,
          query: { bool: { filter: [{ term: { tenant: { value: tenant } } }, { range: { seq: { lte: upToSeq } } }] } },
          sort: [{ seq: { order: 'asc' } }],
          ...(after ? { search_after: after } : {}),
        },
      });
      const hits = res.body.hits.hits as { _id: string; _index: string; _source: unknown; sort: (string | number)[] }[];
      for (const h of hits) sum.add(`${h._index}/${h._id}`, h._source);
      if (hits.length < 1000) break;
      after = hits[hits.length - 1]!.sort;
    }
    return sum.digest();
  }
}
