import { serviceProvenance, type AcceptedEvent, type Provenance } from '@audit/contracts';
import type { OutgoingMessage } from '@audit/kafka';
import { serviceSignedMessage } from '@audit/ledger-core';

/** The query service's own assertions (reads, exports, alert lifecycle, rule changes). */
export const QUERY_PROVENANCE: Provenance = serviceProvenance('query');

/**
 * Messages for `audit.ingested.v1` carrying the service credential, so the ledger appends the query
 * service's reserved events (audit.read, export.created, alert.*) and refuses look-alikes from anyone else.
 */
export function signedLedgerMessages(secrets: readonly string[], events: readonly AcceptedEvent[]): OutgoingMessage<'ingested'>[] {
  return events.map((event) => ({ key: event.tenant, ...serviceSignedMessage(secrets, event) }));
}
