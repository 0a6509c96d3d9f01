import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AcceptedEvent, line, slug, tenantId, uuidV7 } from '@audit/contracts';

/**
 * What the ledger needs to attribute a message on audit.ingested.v1 to a tenant's log: its tenant and
 * id (set by ingest, never by the emitter). The rest is checked against AcceptedEvent per record, so an
 * event that was accepted but does not validate here (a stricter schema since, a faulty producer) is
 * recorded as failed in its tenant's log rather than vanishing into the DLQ.
 */
export const AttributableEvent = z.looseObject({ tenant: tenantId, id: uuidV7 });
export type AttributableEvent = z.output<typeof AttributableEvent>;

/** An attributable message that is not a valid AcceptedEvent: a record-level failure, isolated like any other. */
export class InvalidAcceptedEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidAcceptedEventError';
  }
}

export interface AppendFailure {
  /** The original as read; only its tenant and id are trusted to be valid. */
  original: AttributableEvent;
  /** The message value exactly as it was on the topic. */
  bytes: Buffer;
  error: unknown;
  topic: string;
  partition: number;
  offset: string;
  /** The failure event's own id and time (inputs, so this stays pure). */
  id: string;
  at: Date;
}

const MAX_REASON = 1_000;
// Anything that made the original unappendable must not make its failure record unappendable too.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

export function safeText(s: string, max: number): string {
  const clean = s.replace(LONE_SURROGATE, '\uFFFD').replace(CONTROL, ' ');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

export function sha256Of(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * The system event a tenant's own log receives when one of its accepted events cannot be appended:
 * which event (id, type, digest of the exact message bytes, where it was on the topic) and why. Only
 * fields validated as safe are copied from the original (ids, the environment slug, the change id if
 * well-formed), so the failure record itself always appends. Provenance: the ledger service.
 */
export function appendFailedEvent(f: AppendFailure): AcceptedEvent {
  const at = f.at.toISOString();
  const message = f.error instanceof Error ? `${f.error.name}: ${f.error.message}` : String(f.error);
  const o = f.original as AttributableEvent & { type?: unknown; changeId?: unknown; resource?: { environment?: unknown } };
  const changeId = line(128).safeParse(o.changeId).success && safeText(o.changeId as string, 128) === o.changeId ? (o.changeId as string) : undefined;
  const environment = slug(64).safeParse(o.resource?.environment);
  const eventType = typeof o.type === 'string' ? safeText(o.type, 64) : null;
  return AcceptedEvent.parse({
    version: 1,
    type: 'ledger.append_failed',
    occurredAt: at,
    actor: { id: 'ledger', type: 'service', roles: [], teams: [] },
    resource: { kind: 'audit-event', id: f.original.id, environment: environment.success ? environment.data : 'unknown' },
    ...(changeId ? { changeId } : {}),
    outcome: 'failed',
    reason: `event ${f.original.id} could not be appended: ${safeText(message, MAX_REASON)}`,
    details: {
      eventId: f.original.id,
      eventType,
      digest: sha256Of(f.bytes),
      topic: f.topic,
      partition: f.partition,
      offset: f.offset,
      error: safeText(f.error instanceof Error ? f.error.name : typeof f.error, 64),
      deadLettered: true,
    },
    tenant: f.original.tenant,
    id: f.id,
    receivedAt: at,
    provenance: { kind: 'service', id: 'ledger', auth: 'service-credential', via: 'ledger', scopes: [] },
  });
}
