/**
 * Pure part of the rules page: which inputs each rule type has (apps/query/src/alerting/rules/alert-rule.schema.ts),
 * form values ↔ the JSON a rule is written as, and the service's 422 `errors` placed next to their inputs.
 * The form converts types only (numbers, lists); validation is the service's, so its messages are the ones shown.
 */

export const RULE_TYPES = [
  'match',
  'frequency',
  'spike',
  'new_term',
  'flatline',
  'cardinality',
  'sequence',
  'artifact_mismatch',
  'prod_without_approval',
  'untrusted_approval',
  'breakglass_overdue',
  'off_hours_change',
  'ledger_verification_failed',
] as const;
export type RuleType = (typeof RULE_TYPES)[number];

export const RULE_SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
/** The search language's field names, which rules group and count by. */
export const RULE_FIELDS = ['actor', 'type', 'env', 'environment', 'resource', 'kind', 'outcome', 'change', 'artifact', 'team', 'role', 'source', 'id'] as const;
/** Same pattern as the service's RULE_ID (checked there too). */
export const RULE_ID_PATTERN = '[a-z0-9][a-z0-9._-]{0,63}';

export type FieldKind = 'text' | 'number' | 'select' | 'list' | 'numbers' | 'checkbox';

export interface FieldSpec {
  name: string;
  label: string;
  kind: FieldKind;
  options?: readonly string[];
  /** Text of the empty option of a select (absent: the select has no empty option). */
  empty?: string;
  hint?: string;
}

const duration = (name: string, label: string, hint: string): FieldSpec => ({ name, label, kind: 'text', hint: `${hint} — a number then s, m, h or d, e.g. 10m` });
const groupBy: FieldSpec = { name: 'groupBy', label: 'Group by', kind: 'select', options: RULE_FIELDS, empty: '(no grouping)', hint: 'one alert per value of this field' };
const ruleField = (label: string): FieldSpec => ({ name: 'field', label, kind: 'select', options: RULE_FIELDS, empty: 'choose a field…' });
const environments: FieldSpec = { name: 'environments', label: 'Environments', kind: 'list', hint: 'comma-separated; default prod' };

export const COMMON_FIELDS: FieldSpec[] = [
  { name: 'name', label: 'Name', kind: 'text' },
  { name: 'description', label: 'Description', kind: 'text' },
  { name: 'severity', label: 'Severity', kind: 'select', options: RULE_SEVERITIES, empty: '(default: medium)' },
  { name: 'enabled', label: 'Enabled', kind: 'checkbox' },
  { name: 'filter', label: 'Filter', kind: 'text', hint: 'query language, e.g. type:deployment.* env:prod; empty = every event' },
  duration('realert', 'Re-alert after', 'while an alert is open, firings within this interval do not notify again; default 10m'),
  { name: 'notify', label: 'Notify channels', kind: 'list', hint: 'comma-separated channel names' },
];

export const TYPE_FIELDS: Record<RuleType, FieldSpec[]> = {
  match: [groupBy],
  frequency: [{ name: 'threshold', label: 'Threshold', kind: 'number', hint: 'at least this many matching events…' }, duration('window', 'Window', '…within this window'), groupBy],
  spike: [
    duration('window', 'Window', 'current window, compared with the one before'),
    { name: 'ratio', label: 'Ratio', kind: 'number', hint: 'greater than 1' },
    { name: 'direction', label: 'Direction', kind: 'select', options: ['up', 'down', 'both'], empty: '(default: up)' },
    { name: 'minCount', label: 'Minimum count', kind: 'number', hint: 'default 10' },
    groupBy,
  ],
  new_term: [ruleField('Field'), duration('lookback', 'Look-back', 'a value is new if not seen in this look-back; default 30d')],
  flatline: [
    { name: 'threshold', label: 'Threshold', kind: 'number', hint: 'fires below this many…' },
    duration('window', 'Window', '…in this window'),
    { name: 'source', label: 'Source', kind: 'select', options: ['events', 'checkpoints'], empty: '(default: events)' },
  ],
  cardinality: [ruleField('Field'), { name: 'maxCardinality', label: 'Maximum distinct values', kind: 'number' }, duration('window', 'Window', 'counted over this window'), groupBy],
  sequence: [
    { name: 'mode', label: 'Mode', kind: 'select', options: ['missing_followup', 'missing_precursor'], empty: 'choose a mode…' },
    { name: 'first', label: 'First (filter)', kind: 'text', hint: 'query language' },
    { name: 'then', label: 'Then (filter)', kind: 'text', hint: 'query language' },
    duration('within', 'Within', 'deadline between the two'),
    { name: 'correlateBy', label: 'Correlate by', kind: 'select', options: RULE_FIELDS, empty: '(default: change)' },
  ],
  artifact_mismatch: [],
  prod_without_approval: [environments],
  untrusted_approval: [],
  breakglass_overdue: [],
  off_hours_change: [
    { name: 'timeZone', label: 'Time zone', kind: 'text', hint: 'IANA, e.g. Europe/Paris; default UTC' },
    { name: 'workStart', label: 'Work starts', kind: 'text', hint: 'HH:MM; default 08:00' },
    { name: 'workEnd', label: 'Work ends', kind: 'text', hint: 'HH:MM; default 18:00' },
    { name: 'workDays', label: 'Work days', kind: 'numbers', hint: 'comma-separated ISO weekdays, 1 = Monday; default 1,2,3,4,5' },
    environments,
    { name: 'changeTypes', label: 'Change event types', kind: 'list', hint: 'comma-separated' },
  ],
  ledger_verification_failed: [],
};

export type FormValues = Record<string, string | boolean>;

export function fieldsOf(type: string): FieldSpec[] {
  return [...COMMON_FIELDS, ...((TYPE_FIELDS as Record<string, FieldSpec[]>)[type] ?? [])];
}

export function emptyForm(): { id: string; type: RuleType; values: FormValues } {
  return { id: '', type: 'match', values: { enabled: true } };
}

/** A stored definition (as written) → form values: lists joined with commas, numbers as text. */
export function formFromDefinition(definition: Record<string, unknown>): FormValues {
  const values: FormValues = { enabled: definition.enabled !== false };
  for (const [key, value] of Object.entries(definition)) {
    if (key === 'type' || key === 'enabled') continue;
    if (Array.isArray(value)) values[key] = value.map(String).join(', ');
    else if (typeof value === 'string' || typeof value === 'number') values[key] = String(value);
  }
  return values;
}

const NUMBER = /^-?\d+(\.\d+)?$/;
const num = (s: string): number | string => (NUMBER.test(s) ? Number(s) : s);
const split = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/**
 * Form values → the rule as JSON, only the inputs of `type`. Empty inputs are left out (the service then
 * applies its default or says the field is required); text that is not a number is sent as typed, so the
 * service names the field and the rule instead of the form guessing.
 */
export function definitionFromForm(type: string, values: FormValues): Record<string, unknown> {
  const definition: Record<string, unknown> = { type };
  for (const f of fieldsOf(type)) {
    const raw = values[f.name];
    if (f.kind === 'checkbox') {
      definition[f.name] = raw !== false;
      continue;
    }
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (text === '') continue;
    if (f.kind === 'number') definition[f.name] = num(text);
    else if (f.kind === 'list') definition[f.name] = split(text);
    else if (f.kind === 'numbers') definition[f.name] = split(text).map(num);
    else definition[f.name] = text;
  }
  return definition;
}

export interface FieldError {
  path: string;
  message: string;
}

/**
 * The problem's `errors` by input: `workDays.2` belongs to the Work days input, `ruleId` (400 on the id)
 * to the id input; what matches no input shown (`(root)`, an unknown key) stays in `other`.
 */
export function placeErrors(errors: readonly FieldError[] | undefined, type: string): { byField: Record<string, string[]>; other: FieldError[] } {
  const names = new Set([...fieldsOf(type).map((f) => f.name), 'type', 'ruleId']);
  const byField: Record<string, string[]> = {};
  const other: FieldError[] = [];
  for (const e of errors ?? []) {
    const head = e.path.split('.')[0]!;
    if (!names.has(head)) {
      other.push(e);
      continue;
    }
    const rest = e.path.slice(head.length + 1);
    (byField[head] ??= []).push(rest ? `${rest}: ${e.message}` : e.message);
  }
  return { byField, other };
}
