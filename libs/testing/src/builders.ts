import { randomBytes, randomUUID } from 'node:crypto';
import type { AcceptedEvent, AuditEventInput } from '@audit/contracts';
import { uuidv7 } from './uuid';

/** A valid emitter event; override any field. */
export function anEventInput(overrides: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    type: 'change.requested',
    occurredAt: '2026-11-25T10:00:00.000Z',
    actor: { id: 'alice@example.com', type: 'user', roles: ['developer'], teams: ['payments'] },
    resource: { kind: 'aws_db_instance', id: 'payments-db', environment: 'prod' },
    changeId: `CHG-${randomUUID().slice(0, 8)}`,
    reason: 'raise max_connections',
    ...overrides,
  };
}

/** A valid accepted event, as ingest would put it on `audit.ingested.v1`. */
export function anAcceptedEvent(tenant: string, overrides: Partial<AuditEventInput> = {}, now = new Date()): AcceptedEvent {
  const input = anEventInput(overrides);
  return {
    version: 1,
    ...input,
    actor: { roles: [], teams: [], ...input.actor },
    tenant,
    id: uuidv7(now),
    receivedAt: now.toISOString(),
  } as AcceptedEvent;
}

export function aDigest(): string {
  return `sha256:${randomBytes(32).toString('hex')}`;
}

export function aTenant(prefix = 't'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
