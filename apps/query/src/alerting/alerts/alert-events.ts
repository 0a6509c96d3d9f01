import type { AcceptedEvent, AlertMessageV2 } from '@audit/contracts';
import { QUERY_PROVENANCE } from '../../ledger-events/signed-ledger-messages';

export interface AlertLinksConfig {
  ledgerPublicUrl: string;
  queryPublicUrl: string;
}

/** Links from an alert to its evidence: inclusion proofs of the matched records and the change stories. */
export function alertLinks(config: AlertLinksConfig, alertId: string, seqs: readonly number[], changeIds: readonly string[]): AlertMessageV2['links'] {
  const ledger = config.ledgerPublicUrl.replace(/\/$/, '');
  const query = config.queryPublicUrl.replace(/\/$/, '');
  return {
    alert: `${query}/v1/alerts/${encodeURIComponent(alertId)}`,
    events: seqs.slice(-1000).map((seq) => ({ seq, inclusionProof: `${ledger}/v1/proofs/inclusion?seq=${seq}` })),
    changes: changeIds.slice(0, 100).map((changeId) => ({ changeId, story: `${query}/v1/changes/${encodeURIComponent(changeId)}` })),
  };
}

export const ALERTING_SOURCE = 'query-alerting';

/**
 * The ledger record of an alert transition. There is one event type for it (`alert.fired`), so the
 * transition (fired, refired, acknowledged, resolved) is in `details`; the actor is the service for
 * firings and the person for acknowledgements and resolutions. Events with this source are never
 * evaluated by alert rules (an alert about an alert would feed itself).
 */
export function alertLedgerEvent(
  message: AlertMessageV2,
  summary: string,
  by: { id: string; type: 'user' | 'service'; roles?: string[]; teams?: string[] },
  id: string,
  now: Date,
): AcceptedEvent {
  const at = now.toISOString();
  return {
    version: 1,
    type: 'alert.fired',
    occurredAt: at,
    actor: { id: by.id, type: by.type, roles: by.roles ?? [], teams: by.teams ?? [] },
    resource: { kind: 'alert', id: message.alertId, environment: 'audit', name: message.title.slice(0, 256) },
    source: { system: ALERTING_SOURCE },
    provenance: { ...QUERY_PROVENANCE, via: 'alerting' },
    reason: summary.slice(0, 4096),
    details: {
      transition: message.transition,
      state: message.state,
      ruleId: message.ruleId,
      ruleVersion: message.ruleVersion,
      severity: message.severity,
      groupKey: message.groupKey,
      fireCount: message.fireCount,
      matchedSeqs: message.matchedSeqs.slice(-100),
      changeIds: message.links.changes.map((c) => c.changeId),
    },
    tenant: message.tenant,
    id,
    receivedAt: at,
  };
}
