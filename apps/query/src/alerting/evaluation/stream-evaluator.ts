import type { CommittedRecord } from '@audit/contracts';
import { foldChange, judgeRun, runAt, untrustedClaimAt } from '@audit/change-lifecycle';
import type { StoryEvent } from '../../changes/change-story/change-verdicts';
import type { AlertRule, RuleDefinition } from '../rules/alert-rule.schema';
import { fieldValue, matchesEvent } from '@audit/query-language';

/**
 * The streaming half of rule evaluation, pure: one committed record and the rule's stored state in,
 * state changes and firings out. The shell (alerting.consumer.ts) loads the state the step names, runs
 * it, and writes the result in the same transaction as its position, so a restart neither forgets a
 * window nor evaluates a record twice. Time is the event's `occurredAt`: windows are in event time,
 * which makes replays deterministic and lets tests drive windows with explicit timestamps.
 */

export interface Firing {
  ruleId: string;
  ruleVersion: number;
  /** Dedupe key within the rule: the grouped value, the correlated change, … ('' when ungrouped). */
  groupKey: string;
  at: string;
  matchedSeqs: number[];
  changeIds: string[];
  summary: string;
}

/** State of one (rule, key): small JSON, validated where it is read back. */
export type KeyState = Record<string, unknown>;

export interface StateUpdate {
  key: string;
  /** null deletes the row. */
  state: KeyState | null;
  /** For pending sequences: when the scheduled sweep must fire if nothing cleared the state. */
  dueAt?: string | null;
}

export interface StepInput {
  rule: AlertRule;
  record: CommittedRecord;
  states: ReadonlyMap<string, KeyState>;
  /** Events of the record's change up to and including it (built-ins that judge a change need them). */
  changeEvents?: readonly StoryEvent[];
}

export interface StepResult {
  updates: StateUpdate[];
  firings: Firing[];
}

const NOTHING: StepResult = { updates: [], firings: [] };

const DEPLOYMENT_TYPES = new Set(['deployment.started', 'deployment.succeeded', 'deployment.failed', 'deployment.partially_failed']);
const APPROVAL_CLAIMS = new Set(['approval.granted', 'review.submitted']);

/**
 * The change model's judgement of the run this record starts or ends: the domain rules judge changes
 * with `@audit/change-lifecycle`, the same code as the gate and the story, so they cannot disagree.
 */
function judgedRun(changeEvents: readonly StoryEvent[], seq: number) {
  const run = runAt(foldChange(changeEvents.map((e) => ({ seq: e.seq, event: e.event }))), seq);
  return run ? judgeRun(run) : undefined;
}

/** Which state keys the rule reads for this record (the shell loads them, locked, before `step`). */
export function stateKeys(definition: RuleDefinition, record: CommittedRecord): string[] {
  const event = record.event;
  if (!matchesEvent(definition.filter.ast, event)) return [];
  switch (definition.type) {
    case 'frequency':
      return [groupOf(definition.groupBy, record)];
    case 'new_term': {
      const v = fieldValue(event, definition.field);
      return v === null ? [] : [v];
    }
    case 'sequence': {
      const c = fieldValue(event, definition.correlateBy);
      const relevant = matchesEvent(definition.first.ast, event) || matchesEvent(definition.then.ast, event);
      return c !== null && relevant ? [c] : [];
    }
    default:
      return [];
  }
}

/** Whether the step needs the history of the record's change. */
export function needsChangeHistory(definition: RuleDefinition, record: CommittedRecord): boolean {
  const e = record.event;
  if (!e.changeId) return false;
  if (definition.type === 'artifact_mismatch') return DEPLOYMENT_TYPES.has(e.type);
  if (definition.type === 'prod_without_approval') return e.type === 'deployment.started' && definition.environments.includes(e.resource.environment);
  if (definition.type === 'untrusted_approval') return APPROVAL_CLAIMS.has(e.type);
  return false;
}

export function step({ rule, record, states, changeEvents }: StepInput): StepResult {
  const d = rule.definition;
  const event = record.event;
  if (!matchesEvent(d.filter.ast, event)) return NOTHING;
  const at = event.occurredAt;
  const atMs = Date.parse(at);
  const fire = (groupKey: string, matchedSeqs: number[], summary: string, changeIds = event.changeId ? [event.changeId] : []): Firing => ({
    ruleId: rule.id,
    ruleVersion: rule.version,
    groupKey,
    at,
    matchedSeqs,
    changeIds,
    summary,
  });

  switch (d.type) {
    case 'match': {
      const group = groupOf(d.groupBy, record);
      return { updates: [], firings: [fire(group, [record.seq], `${event.type} by ${event.actor.id} on ${event.resource.id} (${event.resource.environment})`)] };
    }
    case 'frequency': {
      const key = groupOf(d.groupBy, record);
      const seen = readHits(states.get(key)).filter((h) => h.t > atMs - d.window && h.seq !== record.seq);
      const hits = [...seen, { t: atMs, seq: record.seq, change: event.changeId ?? null }];
      if (hits.length < d.threshold) return { updates: [{ key, state: { hits } }], firings: [] };
      // The window that fired starts afresh: the next alert needs `threshold` new events (ElastAlert does the same).
      const changes = [...new Set(hits.map((h) => h.change).filter((c): c is string => !!c))].slice(0, 100);
      const by = d.groupBy ? ` for ${d.groupBy}=${key}` : '';
      return {
        updates: [{ key, state: null }],
        firings: [fire(key, hits.map((h) => h.seq), `${hits.length} matching events within ${formatMs(d.window)}${by}`, changes)],
      };
    }
    case 'new_term': {
      const value = fieldValue(event, d.field);
      if (value === null) return NOTHING;
      const last = readNumber(states.get(value), 'lastSeen');
      const update: StateUpdate = { key: value, state: { lastSeen: Math.max(last ?? atMs, atMs) } };
      const isNew = last === null || last < atMs - d.lookback;
      return { updates: [update], firings: isNew ? [fire(value, [record.seq], `new ${d.field} "${value}" (not seen in the previous ${formatMs(d.lookback)})`)] : [] };
    }
    case 'sequence': {
      const c = fieldValue(event, d.correlateBy);
      if (c === null) return NOTHING;
      const isFirst = matchesEvent(d.first.ast, event);
      const isThen = matchesEvent(d.then.ast, event);
      const state = states.get(c);
      if (d.mode === 'missing_followup') {
        if (isThen) return { updates: [{ key: c, state: null, dueAt: null }], firings: [] };
        if (!isFirst || readNumber(state, 'dueAt') !== null) return NOTHING;
        const dueAt = new Date(atMs + d.within).toISOString();
        return { updates: [{ key: c, state: { dueAt: Date.parse(dueAt), seq: record.seq, change: event.changeId ?? null }, dueAt }], firings: [] };
      }
      const updates: StateUpdate[] = [];
      const firings: Firing[] = [];
      if (isThen) {
        const lastFirst = readNumber(state, 'lastFirst');
        if (lastFirst === null || lastFirst < atMs - d.within || lastFirst > atMs) {
          firings.push(fire(c, [record.seq], `${event.type} for ${d.correlateBy}=${c} without a preceding "${d.first.source}" within ${formatMs(d.within)}`));
        }
      }
      if (isFirst) updates.push({ key: c, state: { lastFirst: Math.max(readNumber(state, 'lastFirst') ?? atMs, atMs) } });
      return { updates, firings };
    }
    case 'artifact_mismatch': {
      if (!changeEvents || !event.changeId || !DEPLOYMENT_TYPES.has(event.type)) return NOTHING;
      const v = judgedRun(changeEvents, record.seq)?.artifact;
      if (v?.verdict !== 'no') return NOTHING;
      const seqs = [v.approvedArtifactFromSeq, record.seq].filter((s): s is number => s !== null);
      return { updates: [], firings: [fire(event.changeId, seqs, `change ${event.changeId}: ${v.reason}`)] };
    }
    case 'prod_without_approval': {
      if (!changeEvents || !event.changeId || event.type !== 'deployment.started' || !d.environments.includes(event.resource.environment)) return NOTHING;
      const v = judgedRun(changeEvents, record.seq)?.approved;
      if (v?.verdict !== 'no') return NOTHING;
      return { updates: [], firings: [fire(event.changeId, [record.seq], `deployment of change ${event.changeId} to ${event.resource.environment} without a valid approval: ${v.reason}`)] };
    }
    case 'untrusted_approval': {
      if (!changeEvents || !event.changeId || !APPROVAL_CLAIMS.has(event.type)) return NOTHING;
      const claim = untrustedClaimAt(foldChange(changeEvents.map((e) => ({ seq: e.seq, event: e.event }))), record.seq);
      if (!claim) return NOTHING;
      return {
        updates: [],
        firings: [fire(`${event.changeId}:${record.seq}`, [record.seq], `approval of change ${event.changeId} by ${claim.approver.id} asserted by ${claim.assertedBy}, not counted: ${claim.source.reason}`)],
      };
    }
    case 'breakglass_overdue': {
      if (event.type !== 'policy.evaluated' || event.details?.['overdueReview'] !== true) return NOTHING;
      return { updates: [], firings: [fire(event.changeId ?? event.resource.id, [record.seq], `break-glass change ${event.changeId ?? event.resource.id} has not been reviewed before its deadline`)] };
    }
    case 'off_hours_change': {
      if (!d.changeTypes.includes(event.type) || !d.environments.includes(event.resource.environment)) return NOTHING;
      const local = localTime(atMs, d.timeZone);
      const working = d.workDays.includes(local.isoWeekday) && local.hhmm >= d.workStart && local.hhmm < d.workEnd;
      if (working) return NOTHING;
      return {
        updates: [],
        firings: [fire(event.changeId ?? event.id, [record.seq], `${event.type} by ${event.actor.id} on ${event.resource.id} (${event.resource.environment}) at ${local.hhmm} ${d.timeZone}, outside working hours`)],
      };
    }
    case 'ledger_verification_failed': {
      if (event.type !== 'ledger.verified' || event.outcome !== 'failed') return NOTHING;
      return { updates: [], firings: [fire(event.resource.id, [record.seq], `ledger verification failed: ${event.reason ?? 'no reason given'}`)] };
    }
    default:
      // spike, flatline and cardinality are scheduled aggregations, not streaming.
      return NOTHING;
  }
}

/** Fires a pending `missing_followup` sequence whose deadline passed (called by the scheduled sweep). */
export function overdueSequenceFiring(rule: AlertRule, key: string, state: KeyState): Firing | null {
  const d = rule.definition;
  if (d.type !== 'sequence' || d.mode !== 'missing_followup') return null;
  const dueAt = readNumber(state, 'dueAt');
  const seq = readNumber(state, 'seq');
  if (dueAt === null || seq === null) return null;
  const change = typeof state['change'] === 'string' ? [state['change']] : [];
  return {
    ruleId: rule.id,
    ruleVersion: rule.version,
    groupKey: key,
    at: new Date(dueAt).toISOString(),
    matchedSeqs: [seq],
    changeIds: change,
    summary: `"${d.first.source}" for ${d.correlateBy}=${key} was not followed by "${d.then.source}" within ${formatMs(d.within)}`,
  };
}

function groupOf(field: Parameters<typeof fieldValue>[1] | undefined, record: CommittedRecord): string {
  return field ? (fieldValue(record.event, field) ?? '') : '';
}

function readHits(state: KeyState | undefined): { t: number; seq: number; change: string | null }[] {
  const hits = state?.['hits'];
  if (!Array.isArray(hits)) return [];
  return hits.flatMap((h: unknown) => {
    const o = h as { t?: unknown; seq?: unknown; change?: unknown };
    return typeof o.t === 'number' && typeof o.seq === 'number' ? [{ t: o.t, seq: o.seq, change: typeof o.change === 'string' ? o.change : null }] : [];
  });
}

function readNumber(state: KeyState | undefined, key: string): number | null {
  const v = state?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** Wall-clock time of an instant in a time zone: ISO weekday and `HH:MM`. */
export function localTime(atMs: number, timeZone: string): { isoWeekday: number; hhmm: string } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(atMs));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { isoWeekday: WEEKDAYS[get('weekday')] ?? 0, hhmm: `${get('hour')}:${get('minute')}` };
}

export function formatMs(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms / 1000}s`;
}
