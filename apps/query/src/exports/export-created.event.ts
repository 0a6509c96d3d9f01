import type { AcceptedEvent } from '@audit/contracts';
import type { BundleManifest } from '@audit/export-bundle';
import { QUERY_PROVENANCE } from '../ledger-events/signed-ledger-messages';

/** Who asked for an export, as the job stores it (the token's claims at request time). */
export interface Requester {
  sub: string;
  roles: string[];
  groups: string[];
  name?: string;
}

export interface ExportRecord {
  tenant: string;
  exportId: string;
  requester: Requester;
  manifest: BundleManifest;
  manifestSha256: string;
  bytes: number;
  now: Date;
  id: string;
}

/**
 * The `export.created` event that records one export made through the API. The query service is a
 * trusted internal emitter (as for `audit.read`): it builds the accepted event and hands it to the ledger
 * through `audit.ingested.v1`. Its details bind the unsigned manifest to the ledger: who asked, what was
 * asked, the counts, the checkpoint proven against and the manifest's SHA-256.
 */
export function exportCreatedEvent(record: ExportRecord): AcceptedEvent {
  const at = record.now.toISOString();
  const { manifest } = record;
  return {
    version: 1,
    type: 'export.created',
    occurredAt: at,
    actor: {
      id: record.requester.sub,
      type: 'user',
      roles: [...record.requester.roles],
      teams: [...record.requester.groups],
      ...(record.requester.name ? { displayName: record.requester.name } : {}),
    },
    resource: { kind: 'audit-export', id: record.exportId, environment: 'audit' },
    source: { system: 'query' },
    provenance: { ...QUERY_PROVENANCE, via: 'exports' },
    outcome: 'succeeded',
    details: {
      exportId: record.exportId,
      format: manifest.request.format ?? 'bundle',
      request: { ...manifest.request },
      contiguous: manifest.contiguous,
      counts: { ...manifest.counts },
      range: { ...manifest.range },
      checkpoint: { origin: manifest.checkpoint.origin, size: manifest.checkpoint.size, rootHash: manifest.checkpoint.rootHash },
      keySource: manifest.keySource ?? 'operator',
      manifestSha256: record.manifestSha256,
      bytes: record.bytes,
    },
    tenant: record.tenant,
    id: record.id,
    receivedAt: at,
  };
}
