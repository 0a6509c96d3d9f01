import type { EventType } from './audit-event';

/**
 * Assertions only the system itself may make. An emitter (API key, webhook, intake producer) sending one
 * is refused at every door of ingest (403 naming the rule and the field); the ledger appends one only
 * with a valid service credential (see `libs/ledger-core/src/service-credential.ts`). Extend the lists
 * here: every door and the ledger read them from this one place.
 */
export const RESERVED_EVENT_TYPES = [
  // decisions of approval-policy
  'gate.decided',
  'policy.evaluated',
  'policy.published',
  // alert lifecycle and rule changes of the query service
  'alert.fired',
  'alert.rule.changed',
  // read records, exports, verification results
  'audit.read',
  'export.created',
  'ledger.verified',
  // administrative acts recorded by the CLI
  'retention.applied',
  'legal_hold.changed',
  'ledger.position_reset',
  // the ledger's own record of an event it could not append
  'ledger.append_failed',
] as const satisfies readonly EventType[];

/**
 * Event types other branches add for the ledger's own failures and checks. Listed by name (not by the
 * EventType union) so this list can name a type before the schema knows it; once it is in EVENT_TYPES an
 * emitter could send it, and then it is already reserved.
 */
export const RESERVED_SYSTEM_EVENT_TYPES = ['ledger.verification_failed', 'ledger.stalled', 'alert.acknowledged', 'alert.resolved'] as const;

/** `source.system` values our own services and tools stamp on the events they emit. */
export const RESERVED_SOURCE_SYSTEMS = [
  'approval-policy',
  'query',
  'query-alerting',
  'ledger',
  'ingest',
  'cli',
  'audit-ledger',
] as const;

const reservedTypes: ReadonlySet<string> = new Set<string>([...RESERVED_EVENT_TYPES, ...RESERVED_SYSTEM_EVENT_TYPES]);
const reservedSources: ReadonlySet<string> = new Set<string>(RESERVED_SOURCE_SYSTEMS);

export function isReservedEventType(type: string): boolean {
  return reservedTypes.has(type);
}

export function isReservedSourceSystem(system: string | undefined): boolean {
  return system !== undefined && reservedSources.has(system);
}

/** The rule names a refusal carries, so a caller (and a test) can tell which rule refused it. */
export const RESERVED_RULES = { type: 'reserved-event-type', source: 'reserved-source-system' } as const;

/** Whether an event makes an assertion only the system may make, and which (field path, rule, words). */
export function reservedAssertion(event: { type: string; source?: { system?: string } | undefined }): { path: string; rule: string; message: string } | undefined {
  if (isReservedEventType(event.type)) {
    return { path: 'type', rule: RESERVED_RULES.type, message: `${RESERVED_RULES.type}: events of type ${event.type} are produced only by the audit ledger's own services` };
  }
  const system = event.source?.system;
  if (isReservedSourceSystem(system)) {
    return { path: 'source.system', rule: RESERVED_RULES.source, message: `${RESERVED_RULES.source}: source.system ${system} is reserved for the audit ledger's own services` };
  }
  return undefined;
}

/**
 * Whether the ledger may append this event only with a valid service credential: anything that claims a
 * provenance (only our services stamp one) or makes a reserved assertion. An event with neither was
 * written before provenance existed (or straight to Kafka by a tool) and is read as untrusted.
 */
export function requiresServiceCredential(event: { type: string; source?: { system?: string } | undefined; provenance?: unknown }): boolean {
  return event.provenance !== undefined || reservedAssertion(event) !== undefined;
}
