import { createHash } from 'node:crypto';
import { AcceptedEvent } from '@audit/contracts';

export interface AppendFailure {
  original: AcceptedEvent;
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
  const changeId = f.original.changeId !== undefined && safeText(f.original.changeId, 128) === f.original.changeId ? f.original.changeId : undefined;
  return AcceptedEvent.parse({
    version: 1,
    type: 'ledger.append_failed',
    occurredAt: at,
    actor: { id: 'ledger', type: 'service', roles: [], teams: [] },
    resource: { kind: 'audit-event', id: f.original.id, environment: f.original.resource.environment },
    ...(changeId ? { changeId } : {}),
    outcome: 'failed',
    reason: `event ${f.original.id} could not be appended: ${safeText(message, MAX_REASON)}`,
    details: {
      eventId: f.original.id,
      eventType: f.original.type,
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
