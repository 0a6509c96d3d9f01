import type { CommittedRecord } from '@audit/contracts';

/**
 * Layout of the event indices: one per tenant and month of `occurredAt`, `<prefix>-<tenant>_<YYYY>.<MM>`.
 * The `_` cannot occur in a tenant id, so `<prefix>-<tenant>_*` matches exactly one tenant's indices
 * (with a `-` there, tenant `a`'s pattern would also match tenant `a-2026`'s indices).
 */
export function indexName(prefix: string, tenant: string, occurredAt: string): string {
  const d = new Date(occurredAt);
  return `${prefix}-${tenant}_${d.getUTCFullYear()}.${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

export function tenantIndexPattern(prefix: string, tenant: string): string {
  return `${prefix}-${tenant}_*`;
}

/** `_id` of an event document: replays overwrite the same document instead of adding one. */
export function documentId(tenant: string, seq: number): string {
  return `${tenant}:${seq}`;
}

const keyword = { type: 'keyword', ignore_above: 512 } as const;
const date = { type: 'date', format: 'strict_date_optional_time||epoch_millis' } as const;
const textWithKeyword = { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 1024 } } } as const;

/** Who asserted the event (server-set): searchable as `provenance:` (kind) and `asserter:` (id). */
export const PROVENANCE_MAPPING = {
  properties: { kind: keyword, id: keyword, auth: keyword, scopes: keyword, issuer: keyword, subject: keyword, roles: keyword, groups: keyword, via: keyword, delivery: keyword },
} as const;

/**
 * Explicit mappings, `dynamic: strict`: a field we did not plan for is refused, never guessed. `details`
 * is a `flat_object`, so arbitrary emitter keys are searchable as values but cannot add mappings.
 */
export const EVENT_MAPPINGS = {
  dynamic: 'strict',
  properties: {
    tenant: keyword,
    seq: { type: 'long' },
    id: keyword,
    version: { type: 'integer' },
    type: keyword,
    occurredAt: date,
    receivedAt: date,
    recordedAt: date,
    actor: {
      properties: { id: keyword, type: keyword, roles: keyword, teams: keyword, displayName: textWithKeyword },
    },
    resource: { properties: { kind: keyword, id: keyword, environment: keyword, name: textWithKeyword } },
    changeId: keyword,
    artifact: { properties: { digest: keyword, kind: keyword, uri: keyword } },
    commit: { properties: { repo: keyword, sha: keyword, author: keyword } },
    source: { properties: { system: keyword, pipeline: keyword, runId: keyword, url: keyword } },
    plan: { properties: { digest: keyword, summary: { type: 'object', enabled: false } } },
    access: { properties: { principal: keyword, role: keyword, scope: keyword } },
    outcome: keyword,
    reason: textWithKeyword,
    details: { type: 'flat_object' },
    idempotencyKey: keyword,
    provenance: PROVENANCE_MAPPING,
    /** Set when retention removed the payload from the ledger: the document then keeps only what the ledger row keeps. */
    redactedAt: date,
    hash: keyword,
    prevHash: keyword,
    leafHash: keyword,
  },
} as const;

export function indexTemplate(prefix: string, options: { shards?: number; replicas?: number; refreshInterval?: string } = {}) {
  return {
    index_patterns: [`${prefix}-*`],
    priority: 100,
    template: {
      settings: {
        number_of_shards: options.shards ?? 1,
        number_of_replicas: options.replicas ?? 0,
        refresh_interval: options.refreshInterval ?? '1s',
        // The sort every search uses: early termination for the newest-first page.
        'index.sort.field': ['occurredAt', 'seq'],
        'index.sort.order': ['desc', 'desc'],
      },
      mappings: EVENT_MAPPINGS,
    },
    _meta: { description: 'audit events, one index per tenant and month (apps/query/README.md)' },
  };
}

export type EventDocument = Record<string, unknown> & { tenant: string; seq: number };

/** The indexed document: the accepted event as committed, plus its ledger position and hashes. */
export function toDocument(record: CommittedRecord): EventDocument {
  return {
    ...record.event,
    seq: record.seq,
    recordedAt: record.recordedAt,
    hash: record.hash,
    prevHash: record.prevHash,
    leafHash: record.leafHash,
  };
}

/**
 * Fields of a document that outlive a redaction, as the ledger row does (seq, id, type, change, times,
 * hashes): enough to find, order and prove the record, nothing of what it said.
 */
export const KEPT_WHEN_REDACTED = ['tenant', 'seq', 'id', 'version', 'type', 'occurredAt', 'receivedAt', 'recordedAt', 'changeId', 'hash', 'prevHash', 'leafHash'] as const;

/** The document of a record whose payload retention removed from the ledger. */
export function redactedDocument(document: Record<string, unknown>, redactedAt: Date): EventDocument {
  const kept: Record<string, unknown> = {};
  for (const field of KEPT_WHEN_REDACTED) if (document[field] !== undefined) kept[field] = document[field];
  return { ...kept, redactedAt: redactedAt.toISOString() } as unknown as EventDocument;
}
