import type { AcceptedEvent } from '@audit/contracts';
import { QUERY_PROVENANCE } from '../ledger-events/signed-ledger-messages';
import type { Principal } from '@audit/auth';

export interface ReadRecord {
  principal: Principal;
  /** Route template, e.g. `/v1/search`. */
  endpoint: string;
  /** What was asked: query string parameters as the reader sent them (after validation). */
  query: Record<string, string | number | undefined>;
  resultCount: number;
  now: Date;
  id: string;
}

/**
 * The `audit.read` event that records one read. The query service is a trusted internal emitter: it
 * builds the accepted event itself (id, receivedAt) and hands it to the ledger through
 * `audit.ingested.v1`, so reads are chained and provable like every other event.
 */
export function auditReadEvent(read: ReadRecord): AcceptedEvent {
  const at = read.now.toISOString();
  const query = Object.fromEntries(Object.entries(read.query).filter(([, v]) => v !== undefined));
  return {
    version: 1,
    type: 'audit.read',
    occurredAt: at,
    actor: {
      id: read.principal.sub,
      type: 'user',
      roles: [...read.principal.roles],
      teams: [...read.principal.groups],
      ...(read.principal.name ? { displayName: read.principal.name } : {}),
    },
    resource: { kind: 'audit-query', id: read.endpoint, environment: 'audit' },
    source: { system: 'query' },
    outcome: 'succeeded',
    details: { endpoint: read.endpoint, query, resultCount: read.resultCount },
    tenant: read.principal.tenant,
    id: read.id,
    receivedAt: at,
    provenance: { ...QUERY_PROVENANCE, via: 'reads' },
  };
}
