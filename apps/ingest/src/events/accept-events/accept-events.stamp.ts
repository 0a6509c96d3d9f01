import type { AcceptedEvent, AuditEventInputParsed, Provenance } from '@audit/contracts';

/**
 * Turns validated emitter events into accepted ones: tenant and provenance from the credentials, ids and
 * receipt time from ingest. The body can never set either (the input schema has no such fields).
 */
export function stampEvents(
  events: readonly AuditEventInputParsed[],
  stamp: { tenant: string; ids: readonly string[]; receivedAt: Date; provenance: Provenance },
): AcceptedEvent[] {
  if (stamp.ids.length !== events.length) throw new Error(`expected ${events.length} ids, got ${stamp.ids.length}`);
  const receivedAt = stamp.receivedAt.toISOString();
  return events.map((event, i) => ({ ...event, tenant: stamp.tenant, id: stamp.ids[i] as string, receivedAt, provenance: stamp.provenance }));
}
