import type { AcceptedEvent } from '@audit/contracts';
import type { Principal } from '@audit/auth';
import { QUERY_PROVENANCE } from '../../../ledger-events/signed-ledger-messages';
import { ALERTING_SOURCE } from '../../alerts/alert-events';

/** The `alert.rule.changed` (or channel change) event: who changed which rule to what, as written. */
export function ruleChangedEvent(
  principal: Principal,
  change: { kind: 'rule' | 'channel'; id: string; version?: number; change: string; definition: unknown },
  id: string,
  now: Date,
): AcceptedEvent {
  const at = now.toISOString();
  return {
    version: 1,
    type: 'alert.rule.changed',
    occurredAt: at,
    actor: { id: principal.sub, type: 'user', roles: [...principal.roles], teams: [...principal.groups], ...(principal.name ? { displayName: principal.name } : {}) },
    resource: { kind: change.kind === 'rule' ? 'alert-rule' : 'alert-channel', id: change.id, environment: 'audit' },
    source: { system: ALERTING_SOURCE },
    provenance: { ...QUERY_PROVENANCE, via: 'alerting' },
    outcome: 'succeeded',
    details: { [change.kind === 'rule' ? 'ruleId' : 'channel']: change.id, ...(change.version !== undefined ? { version: change.version } : {}), change: change.change, definition: change.definition as Record<string, unknown> },
    tenant: principal.tenant,
    id,
    receivedAt: at,
  };
}
