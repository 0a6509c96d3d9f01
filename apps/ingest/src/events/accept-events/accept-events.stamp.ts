import type { AcceptedEvent, AuditEventInputParsed } from '@audit/contracts';

/** Turns validated emitter events into accepted ones: tenant from the credentials, ids and receipt time from ingest. */
export function stampEvents(events: readonly AuditEventInputParsed[], stamp: { tenant: string; ids: readonly string[]; receivedAt: Date }): AcceptedEvent[] {
  if (stamp.ids.length !== events.length) throw new Error(`expected ${events.length} ids, got ${stamp.ids.length}`);
  const receivedAt = stamp.receivedAt.toISOString();
  return events.map((event, i) => ({ ...event, tenant: stamp.tenant, id: stamp.ids[i] as string, receivedAt }));
}
