import { AcceptedEvent, requiresServiceCredential } from '@audit/contracts';
import type { ConsumedRecord } from '@audit/kafka';
import { SERVICE_CREDENTIAL_HEADER, verifyServiceEvent } from '@audit/ledger-core';

/** An event that claims a provenance or a reserved assertion without a valid service credential. */
export class UncredentialedEventError extends Error {
  constructor(
    readonly offset: string,
    message: string,
  ) {
    super(message);
    this.name = 'UncredentialedEventError';
  }
}

/**
 * The ledger's gate on who may write what: an event that claims a provenance or makes a reserved
 * assertion (gate decisions, alerts, reads, …) is appended only when it carries a valid service
 * credential, i.e. one of our services put it on the topic. Returns the first event that fails and why.
 * Messages that are not valid accepted events are left to the append, which records them as failed.
 */
export function firstUncredentialed(
  records: readonly Pick<ConsumedRecord<unknown>, 'value' | 'offset' | 'headers'>[],
  secrets: readonly string[],
): { offset: string; reason: string } | undefined {
  for (const r of records) {
    const parsed = AcceptedEvent.safeParse(r.value);
    if (!parsed.success || !requiresServiceCredential(parsed.data)) continue;
    const event = parsed.data;
    const header = r.headers[SERVICE_CREDENTIAL_HEADER];
    const presented = Array.isArray(header) ? header[0] : header;
    if (verifyServiceEvent(secrets, event, presented)) continue;
    const claim = event.provenance ? `provenance ${event.provenance.kind}:${event.provenance.id}` : `type ${event.type}, source.system ${event.source?.system ?? '(none)'}`;
    return {
      offset: r.offset,
      reason: `service-credential: event ${event.id} (${claim}) needs a valid ${SERVICE_CREDENTIAL_HEADER} header (${presented === undefined ? 'none sent' : 'it does not match'}); not appended`,
    };
  }
  return undefined;
}

/**
 * Throws for the first uncredentialed event: a record-level failure, so the pipeline isolates it —
 * dead-letters it with the reason and records `ledger.append_failed` in its tenant's log — and appends
 * the rest of the batch.
 */
export function assertServiceCredentials(records: readonly Pick<ConsumedRecord<unknown>, 'value' | 'offset' | 'headers'>[], secrets: readonly string[]): void {
  const refused = firstUncredentialed(records, secrets);
  if (refused) throw new UncredentialedEventError(refused.offset, refused.reason);
}
