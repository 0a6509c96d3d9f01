import { z } from 'zod';
import { parseQuery, SEARCH_FIELDS, type QueryNode, type SearchFieldName } from '@audit/query-language';

/** `30s`, `5m`, `2h`, `7d` → milliseconds. Bounded: a window longer than 90 days is a report, not an alert. */
const DURATION = /^([1-9][0-9]{0,5})(s|m|h|d)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const MAX_DURATION_MS = 90 * UNIT_MS.d;

export const duration = z
  .string()
  .regex(DURATION, 'must be a number followed by s, m, h or d (e.g. 10m)')
  .transform((s, ctx) => {
    const [, n, unit] = DURATION.exec(s)!;
    const ms = Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
    if (ms > MAX_DURATION_MS) ctx.addIssue({ code: 'custom', message: 'must be at most 90d' });
    return ms;
  });

/** A query-language filter, parsed once at validation: a syntax error names its position. */
const filter = z.string().max(1024).transform((source, ctx): { source: string; ast: QueryNode | null } => {
  const parsed = parseQuery(source);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: `${parsed.error.message} (at position ${parsed.error.position}; expected ${parsed.error.expected.join(', ')})` });
    return { source, ast: null };
  }
  return { source, ast: parsed.ast };
});

/** Fields a rule may group or count by: the search language's field names (`actor`, `env`, `resource`, …). */
export const RULE_FIELDS = Object.keys(SEARCH_FIELDS) as SearchFieldName[];
const field = z.enum(RULE_FIELDS as [SearchFieldName, ...SearchFieldName[]]);

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export const RULE_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const common = {
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  severity: z.enum(SEVERITIES).default('medium'),
  enabled: z.boolean().default(true),
  /** Which events the rule looks at (query language, apps/query/README.md); empty = all. */
  filter: filter.prefault(''),
  /** While an alert of the same rule and group is open, new firings within this interval only count, they do not notify again. */
  realert: duration.prefault('10m'),
  /** Names of the tenant's notification channels (`PUT /v1/alert-channels/{name}`). */
  notify: z.array(z.string().regex(RULE_ID, 'must be a channel name')).max(10).default([]),
};

export const MatchRule = z.strictObject({ ...common, type: z.literal('match'), groupBy: field.optional() });
export const FrequencyRule = z.strictObject({
  ...common,
  type: z.literal('frequency'),
  /** Fires when at least `threshold` matching events occur within `window` (event time). */
  threshold: z.number().int().min(1).max(100_000),
  window: duration,
  groupBy: field.optional(),
});
export const SpikeRule = z.strictObject({
  ...common,
  type: z.literal('spike'),
  /** Current window = [now − window, now), reference window = the one before it. */
  window: duration,
  /** Fires when current/reference ≥ ratio (up), ≤ 1/ratio (down), or either (both). */
  ratio: z.number().gt(1).max(10_000),
  direction: z.enum(['up', 'down', 'both']).default('up'),
  /** Both windows need at least this many events before a ratio means anything. */
  minCount: z.number().int().min(0).max(1_000_000).default(10),
  groupBy: field.optional(),
});
export const NewTermRule = z.strictObject({
  ...common,
  type: z.literal('new_term'),
  field,
  /** A value counts as new when it was not seen in this look-back before the event. */
  lookback: duration.prefault('30d'),
});
export const FlatlineRule = z.strictObject({
  ...common,
  type: z.literal('flatline'),
  /** Fires when fewer than `threshold` events (or ledger checkpoints) fall in [now − window, now). */
  threshold: z.number().int().min(1).max(1_000_000),
  window: duration,
  source: z.enum(['events', 'checkpoints']).default('events'),
});
export const CardinalityRule = z.strictObject({
  ...common,
  type: z.literal('cardinality'),
  field,
  /** Fires when more than this many distinct values of `field` occur in [now − window, now). */
  maxCardinality: z.number().int().min(1).max(100_000),
  window: duration,
  groupBy: field.optional(),
});
export const SequenceRule = z.strictObject({
  ...common,
  type: z.literal('sequence'),
  /**
   * `missing_followup`: an event matching `first` not followed by one matching `then` (same `correlateBy`
   * value) within `within`. `missing_precursor`: a `then` with no `first` in the `within` before it.
   */
  mode: z.enum(['missing_followup', 'missing_precursor']),
  first: filter,
  then: filter,
  within: duration,
  correlateBy: field.default('change'),
});

/** Built-in domain rules: shipped enabled for every tenant; a tenant may override (or disable) them by id. */
export const ArtifactMismatchRule = z.strictObject({ ...common, type: z.literal('artifact_mismatch') });
export const ProdWithoutApprovalRule = z.strictObject({
  ...common,
  type: z.literal('prod_without_approval'),
  environments: z.array(z.string().min(1).max(64)).min(1).max(20).default(['prod']),
});
export const BreakGlassOverdueRule = z.strictObject({ ...common, type: z.literal('breakglass_overdue') });
/** An approval claim from a source the policy does not trust (the change model keeps it, not counted). */
export const UntrustedApprovalRule = z.strictObject({ ...common, type: z.literal('untrusted_approval') });
const clock = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'must be HH:MM (24h)');
export const OffHoursChangeRule = z
  .strictObject({
    ...common,
    type: z.literal('off_hours_change'),
    timeZone: z.string().default('UTC'),
    /** Working hours [start, end) on working days (ISO weekday 1 = Monday … 7 = Sunday), in `timeZone`. */
    workStart: clock.default('08:00'),
    workEnd: clock.default('18:00'),
    workDays: z.array(z.number().int().min(1).max(7)).max(7).default([1, 2, 3, 4, 5]),
    environments: z.array(z.string().min(1).max(64)).min(1).max(20).default(['prod']),
    /** Event types that count as a change. */
    changeTypes: z.array(z.string().min(1).max(64)).min(1).max(20).default(['deployment.started', 'config.changed', 'access.granted', 'breakglass.invoked']),
  })
  .superRefine((r, ctx) => {
    if (!isTimeZone(r.timeZone)) ctx.addIssue({ code: 'custom', path: ['timeZone'], message: 'must be an IANA time zone such as Europe/Paris' });
    if (r.workStart >= r.workEnd) ctx.addIssue({ code: 'custom', path: ['workEnd'], message: 'must be after workStart' });
  });
export const LedgerVerificationFailedRule = z.strictObject({ ...common, type: z.literal('ledger_verification_failed') });

export const RuleDefinition = z.discriminatedUnion('type', [
  MatchRule,
  FrequencyRule,
  SpikeRule,
  NewTermRule,
  FlatlineRule,
  CardinalityRule,
  SequenceRule,
  ArtifactMismatchRule,
  ProdWithoutApprovalRule,
  BreakGlassOverdueRule,
  UntrustedApprovalRule,
  OffHoursChangeRule,
  LedgerVerificationFailedRule,
]);
/** What users write (YAML/JSON): durations as strings, filters as query-language text. */
export type RuleDefinitionInput = z.input<typeof RuleDefinition>;
/** What the evaluators use: durations in ms, filters parsed. */
export type RuleDefinition = z.output<typeof RuleDefinition>;
export type RuleType = RuleDefinition['type'];

/** A stored rule version as the evaluators see it. */
export interface AlertRule {
  tenant: string;
  id: string;
  version: number;
  definition: RuleDefinition;
  /** The definition as written (stored and shown back; the parsed form is derived from it). */
  source: RuleDefinitionInput;
}

export const STREAMING_TYPES = ['match', 'frequency', 'new_term', 'sequence', 'artifact_mismatch', 'prod_without_approval', 'breakglass_overdue', 'untrusted_approval', 'off_hours_change', 'ledger_verification_failed'] as const satisfies readonly RuleType[];
export const SCHEDULED_TYPES = ['spike', 'flatline', 'cardinality'] as const satisfies readonly RuleType[];

export function isStreaming(rule: RuleDefinition): boolean {
  return (STREAMING_TYPES as readonly string[]).includes(rule.type);
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export interface RuleIssue {
  path: string;
  message: string;
}

/** Validates a rule as written; issues name the field path (`window`, `first`, `workEnd`, …) and the reason. */
export function parseRule(input: unknown): { ok: true; definition: RuleDefinition; source: RuleDefinitionInput } | { ok: false; issues: RuleIssue[] } {
  const result = RuleDefinition.safeParse(input);
  if (!result.success) {
    return {
      ok: false,
      issues: result.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message })),
    };
  }
  return { ok: true, definition: result.data, source: input as RuleDefinitionInput };
}
