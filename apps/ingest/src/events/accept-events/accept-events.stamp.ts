import type { AcceptedEvent, AuditEventInputParsed, Provenance } from '@audit/contracts';
import type { SecretScanner } from '../secret-scan/secret-scanner';

/**
 * Turns validated emitter events into accepted ones: tenant and provenance from the credentials, ids and
 * receipt time from ingest (the body can never set either: the input schema has no such fields), and every
 * secret in the free text replaced by a marker — here, because every door (events API, adapters, intake
 * topic) stamps, and nothing after this may change what gets hashed.
 */
export function stampEvents(
  events: readonly AuditEventInputParsed[],
  stamp: { tenant: string; ids: readonly string[]; receivedAt: Date; provenance: Provenance; scanner: SecretScanner },
): { events: AcceptedEvent[]; redacted: number } {
  if (stamp.ids.length !== events.length) throw new Error(`expected ${events.length} ids, got ${stamp.ids.length}`);
  const receivedAt = stamp.receivedAt.toISOString();
  let redacted = 0;
  const scanner = stamp.scanner.forTenant(stamp.tenant);
  const accepted = events.map((input, i) => {
    const scanned = scanner.redactEvent(input);
    redacted += scanned.redacted;
    return { ...scanned.event, tenant: stamp.tenant, id: stamp.ids[i] as string, receivedAt, provenance: stamp.provenance };
  });
  return { events: accepted, redacted };
}
