/** Pure helpers of the alerts page: the shapes of `GET /v1/alerts`, what a reader may do, links to evidence. */
import { ApiError, describeError } from '../common/api';

export const ALERT_STATES = ['firing', 'acknowledged', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;

/** One alert as `GET /v1/alerts` and the ack/resolve answers give it (apps/query/src/alerting/alerts/manage-alerts). */
export interface Alert {
  id: string;
  ruleId: string;
  ruleVersion: number;
  groupKey: string;
  severity: string;
  title: string;
  summary: string;
  state: AlertState;
  firstFiredAt: string;
  lastFiredAt: string;
  fireCount: number;
  matchedSeqs: number[];
  changeIds: string[];
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
}

export interface Delivery {
  id: string;
  kind: string;
  channel: string | null;
  status: string;
  attempts: number;
  lastError: string | null;
  doneAt: string | null;
}

export type AlertDetail = Alert & { deliveries: Delivery[] };

export type AlertAction = 'ack' | 'resolve';

export const ACTION_LABELS: Record<AlertAction, { verb: string; done: string }> = {
  ack: { verb: 'Acknowledge', done: 'acknowledged' },
  resolve: { verb: 'Resolve', done: 'resolved' },
};

/**
 * The transitions to offer: firing → acknowledged → resolved, firing → resolved (the service's
 * `decideTransition`), and none unless the reader's role may transition at all. The service decides
 * anyway; this only avoids offering what it would refuse.
 */
export function actionsFor(state: AlertState, mayTransition: boolean): AlertAction[] {
  if (!mayTransition) return [];
  if (state === 'firing') return ['ack', 'resolve'];
  if (state === 'acknowledged') return ['resolve'];
  return [];
}

/** `#/search?q=…`: the search page opened on a query (quoted, as facet values are; see search-query.ts). */
export function searchHref(query: string): string {
  return `#/search?q=${encodeURIComponent(query)}`;
}

/** The events of a change in the activity search. */
export function changeEventsQuery(changeId: string): string {
  return changeId.includes('"') ? `change:${changeId}` : `change:"${changeId}"`;
}

/** Query-string parameters of `GET /v1/alerts`; empty filters are left out (the service treats them as "any"). */
export function alertListParams(filter: { state: string; ruleId: string }, limit: number): Record<string, string | number | undefined> {
  return { state: filter.state || undefined, ruleId: filter.ruleId || undefined, limit };
}

/** `2026-03-10T12:34:56.789Z` → `2026-03-10 12:34:56 UTC` (the table stays in UTC, like the search page). */
export function utc(iso: string | null): string {
  return iso ? `${iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')} UTC` : '—';
}

/** Seqs to show inline: the first few and how many more, so an alert of a thousand events stays readable. */
export function seqSummary(seqs: readonly number[], shown = 8): { shown: number[]; more: number } {
  return { shown: seqs.slice(0, shown), more: Math.max(0, seqs.length - shown) };
}

/**
 * A refused acknowledge/resolve, said plainly. The service is the authority: 403 carries the permission
 * and the role it wanted; 409 means the list was stale (someone acted first, or it is already resolved).
 */
export function describeRefusal(action: string, error: unknown): string {
  if (error instanceof ApiError && error.status === 403) return `The query service refused to ${action}: ${describeError(error)}. Your role does not allow it; ask an auditor or admin.`;
  if (error instanceof ApiError && error.status === 409) return `Could not ${action}: ${describeError(error)}. The list now shows the alert as it is.`;
  return `Could not ${action}: ${describeError(error)}`;
}
