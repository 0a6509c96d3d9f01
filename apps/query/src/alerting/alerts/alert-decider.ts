import type { Firing } from '../evaluation/stream-evaluator';

export type AlertState = 'firing' | 'acknowledged' | 'resolved';

/** The open (not resolved) alert of a rule and group key, if any. */
export interface OpenAlert {
  id: string;
  state: Exclude<AlertState, 'resolved'>;
  lastNotifiedAt: string;
  fireCount: number;
  matchedSeqs: number[];
}

export type FiringDecision =
  /** No open alert for the rule and group: a new alert, notified. */
  | { kind: 'open' }
  /** Same alert again: counted and its evidence extended; notified again only once `realert` has passed since the last notification. */
  | { kind: 'repeat'; notify: boolean };

/**
 * Dedupe and throttle: one open alert per (rule, group key). A firing while it is open is a repeat;
 * a repeat notifies again only after the rule's realert interval, and never while someone has
 * acknowledged it (they are on it; resolving closes it, and the next firing opens a new alert).
 */
export function decideFiring(open: OpenAlert | null, firing: Pick<Firing, 'at'>, realertMs: number): FiringDecision {
  if (!open) return { kind: 'open' };
  if (open.state === 'acknowledged') return { kind: 'repeat', notify: false };
  const since = Date.parse(firing.at) - Date.parse(open.lastNotifiedAt);
  return { kind: 'repeat', notify: since >= realertMs };
}

/** Evidence kept on an alert: the first seqs and the latest ones, at most `max` (the message schema's bound). */
export function mergeSeqs(existing: readonly number[], added: readonly number[], max = 1000): number[] {
  const all = [...new Set([...existing, ...added])].sort((a, b) => a - b);
  if (all.length <= max) return all;
  const head = Math.floor(max / 2);
  return [...all.slice(0, head), ...all.slice(all.length - (max - head))];
}

export type AlertTransition = 'acknowledged' | 'resolved';

/** firing → acknowledged → resolved (firing → resolved allowed too); anything else is a conflict. */
export function decideTransition(current: AlertState, wanted: AlertTransition): { ok: true } | { ok: false; reason: string } {
  if (current === 'resolved') return { ok: false, reason: 'the alert is already resolved' };
  if (wanted === 'acknowledged' && current === 'acknowledged') return { ok: false, reason: 'the alert is already acknowledged' };
  return { ok: true };
}
