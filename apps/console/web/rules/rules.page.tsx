import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, apiGet, apiSend, describeError } from '../common/api';
import type { Session } from '../common/session';
import { definitionFromForm, emptyForm, fieldsOf, formFromDefinition, placeErrors, RULE_ID_PATTERN, RULE_TYPES, type FieldError, type FieldSpec, type RuleType } from './rule-form';

interface RuleView {
  id: string;
  version: number;
  builtin: boolean;
  enabled: boolean;
  type: string;
  definition: Record<string, unknown>;
}

interface PutRuleResult {
  rule: RuleView;
  change: 'created' | 'updated' | 'disabled' | 'enabled' | 'unchanged' | 'valid';
  eventId: string | null;
}

const CHANGE_TEXT: Record<PutRuleResult['change'], string> = {
  created: 'created',
  updated: 'updated',
  disabled: 'disabled',
  enabled: 'enabled',
  unchanged: 'unchanged (same definition, no new version)',
  valid: 'is valid (checked only, nothing stored)',
};

const inputId = (name: string) => `rule-${name}`;

/**
 * Alert rules of the tenant for admins (`/v1/alert-rules`): the rules in force, built-ins included, and a
 * form that creates or updates one (every change is a new version and an `alert.rule.changed` ledger
 * event), checks it without storing (`?dryRun=true`), or disables it. The service's 422 errors are shown
 * beside the inputs they name.
 */
export function RulesPage({ session }: { session: Session }) {
  const [rules, setRules] = useState<RuleView[] | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [form, setForm] = useState(emptyForm);
  const [editing, setEditing] = useState<string | null>(null);
  const [errors, setErrors] = useState<{ byField: Record<string, string[]>; other: FieldError[]; title: string } | null>(null);
  const [status, setStatus] = useState('');
  const [saving, setSaving] = useState(false);
  const idInput = useRef<HTMLInputElement>(null);
  const summary = useRef<HTMLDivElement>(null);

  const load = useCallback(async () => {
    setListError(null);
    try {
      setRules((await apiGet<{ rules: RuleView[] }>('query', '/v1/alert-rules', session.token)).rules);
    } catch (err) {
      setListError(`Could not list rules: ${describeError(err)}`);
    }
  }, [session.token]);

  useEffect(() => {
    void load();
  }, [load]);

  const edit = (rule: RuleView) => {
    setForm({ id: rule.id, type: (RULE_TYPES as readonly string[]).includes(rule.type) ? (rule.type as RuleType) : 'match', values: formFromDefinition(rule.definition) });
    setEditing(rule.id);
    setErrors(null);
    setStatus(`Editing rule ${rule.id} (version ${rule.version}).`);
    idInput.current?.focus();
  };

  const reset = () => {
    setForm(emptyForm());
    setEditing(null);
    setErrors(null);
  };

  const refused = (err: unknown, what: string) => {
    if (err instanceof ApiError && (err.status === 422 || err.status === 400) && err.problem.errors?.length) {
      const placed = placeErrors(err.problem.errors, form.type);
      setErrors({ ...placed, title: err.problem.title ?? 'The rule is not valid' });
      setStatus(`${what} refused: ${err.problem.errors.length} problem${err.problem.errors.length === 1 ? '' : 's'}.`);
      // Move to the summary so keyboard and screen-reader users meet the problems first.
      requestAnimationFrame(() => summary.current?.focus());
    } else {
      setErrors({ byField: {}, other: [], title: `${what} refused: ${describeError(err)}` });
      setStatus('');
    }
  };

  const put = async (dryRun: boolean) => {
    const id = form.id.trim();
    if (!id) {
      // Without an id there is no URL to PUT to; everything else is left to the service to judge.
      setErrors({ byField: { ruleId: ['required: name the rule'] }, other: [], title: 'The rule needs an id' });
      setStatus('');
      idInput.current?.focus();
      return;
    }
    setSaving(true);
    setErrors(null);
    try {
      const result = await apiSend<PutRuleResult>('query', 'PUT', `/v1/alert-rules/${encodeURIComponent(id)}`, session.token, definitionFromForm(form.type, form.values), dryRun ? { dryRun: 'true' } : {});
      setStatus(`Rule ${result.rule.id} ${CHANGE_TEXT[result.change]}${dryRun ? '' : ` — version ${result.rule.version}`}.`);
      if (!dryRun) {
        setEditing(result.rule.id);
        await load();
      }
    } catch (err) {
      refused(err, dryRun ? 'Check' : 'Save');
    } finally {
      setSaving(false);
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void put(false);
  };

  const setEnabled = async (rule: RuleView, enabled: boolean) => {
    setErrors(null);
    try {
      const result = enabled
        ? await apiSend<PutRuleResult>('query', 'PUT', `/v1/alert-rules/${encodeURIComponent(rule.id)}`, session.token, { ...rule.definition, enabled: true })
        : await apiSend<PutRuleResult>('query', 'POST', `/v1/alert-rules/${encodeURIComponent(rule.id)}/disable`, session.token);
      setStatus(`Rule ${result.rule.id} ${CHANGE_TEXT[result.change]} — version ${result.rule.version}.`);
      await load();
    } catch (err) {
      setStatus('');
      setListError(`Could not ${enabled ? 'enable' : 'disable'} rule ${rule.id}: ${describeError(err)}`);
    }
  };

  const fields = fieldsOf(form.type);
  const idErrors = errors?.byField.ruleId;
  const typeErrors = errors?.byField.type;
  return (
    <section aria-labelledby="rules-title">
      <h1 id="rules-title" tabIndex={-1}>
        Alert rules
      </h1>
      <p className="hint" role="status" aria-live="polite" data-testid="rules-status">
        {status}
      </p>
      {listError && (
        <p role="alert" className="error">
          {listError}
        </p>
      )}
      {rules && (
        <table className="events" aria-label="Rules in force">
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Severity</th>
              <th scope="col">Enabled</th>
              <th scope="col">Version</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {rules.map((r) => (
              <tr key={r.id} data-rule-id={r.id} data-enabled={String(r.enabled)} data-version={r.version}>
                <td>
                  <code>{r.id}</code>
                  {r.builtin && <span className="pill">built-in</span>}
                </td>
                <td>{String(r.definition.name ?? '')}</td>
                <td>{r.type}</td>
                <td>{String(r.definition.severity ?? 'medium')}</td>
                <td className={r.enabled ? 'v yes' : 'v no'}>{r.enabled ? 'yes' : 'no'}</td>
                <td>{r.version === 0 ? '0 (shipped)' : r.version}</td>
                <td className="actions">
                  <button type="button" className="link" onClick={() => edit(r)} aria-label={`Edit rule ${r.id}`}>
                    Edit
                  </button>
                  <button type="button" className="secondary" onClick={() => void setEnabled(r, !r.enabled)} aria-label={`${r.enabled ? 'Disable' : 'Enable'} rule ${r.id}`}>
                    {r.enabled ? 'Disable' : 'Enable'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <form className="card rule-form" onSubmit={submit} aria-labelledby="rule-form-title" noValidate>
        <h2 id="rule-form-title">{editing ? `Update rule ${editing}` : 'New rule'}</h2>
        <p className="hint">Every save is a new version, recorded in the ledger under your name. Built-in rules are changed by saving a version under their id.</p>
        {errors && (
          <div ref={summary} tabIndex={-1} role="alert" className="error" data-testid="rule-errors">
            <p>
              <strong>{errors.title}</strong>
            </p>
            {(Object.keys(errors.byField).length > 0 || errors.other.length > 0) && (
              <ul>
                {Object.entries(errors.byField).map(([name, messages]) => (
                  <li key={name}>
                    <a
                      href={`#${inputId(name)}`}
                      onClick={(e) => {
                        // The app routes on the hash: focus the input instead of navigating.
                        e.preventDefault();
                        document.getElementById(inputId(name))?.focus();
                      }}
                    >
                      {name}
                    </a>
                    : {messages.join('; ')}
                  </li>
                ))}
                {errors.other.map((e) => (
                  <li key={`${e.path}:${e.message}`}>
                    {e.path}: {e.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
        <div className="form-grid">
          <div className="field">
            <label htmlFor={inputId('ruleId')}>Rule id</label>
            <input
              id={inputId('ruleId')}
              ref={idInput}
              value={form.id}
              pattern={RULE_ID_PATTERN}
              required
              onChange={(e) => setForm((f) => ({ ...f, id: e.target.value }))}
              aria-invalid={idErrors ? true : undefined}
              aria-describedby={`${inputId('ruleId')}-hint${idErrors ? ` ${inputId('ruleId')}-error` : ''}`}
              spellCheck={false}
              autoComplete="off"
            />
            <span id={`${inputId('ruleId')}-hint`} className="hint">
              lower-case letters, digits, . _ - (at most 64); an existing id updates that rule
            </span>
            {idErrors && <FieldMessage id={`${inputId('ruleId')}-error`} messages={idErrors} />}
          </div>
          <div className="field">
            <label htmlFor={inputId('type')}>Type</label>
            <select
              id={inputId('type')}
              value={form.type}
              onChange={(e) => setForm((f) => ({ ...f, type: e.target.value as RuleType }))}
              aria-invalid={typeErrors ? true : undefined}
              aria-describedby={typeErrors ? `${inputId('type')}-error` : undefined}
            >
              {RULE_TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
            {typeErrors && <FieldMessage id={`${inputId('type')}-error`} messages={typeErrors} />}
          </div>
          {fields.map((f) => (
            <RuleField
              key={`${form.type}:${f.name}`}
              spec={f}
              value={form.values[f.name]}
              errors={errors?.byField[f.name]}
              onChange={(v) => setForm((prev) => ({ ...prev, values: { ...prev.values, [f.name]: v } }))}
            />
          ))}
        </div>
        <div className="toolbar">
          <button type="submit" disabled={saving}>
            Save rule
          </button>
          <button type="button" className="secondary" disabled={saving} onClick={() => void put(true)}>
            Check without saving
          </button>
          <button type="button" className="secondary" onClick={reset}>
            New rule
          </button>
        </div>
      </form>
    </section>
  );
}

function FieldMessage({ id, messages }: { id: string; messages: string[] }) {
  return (
    <span id={id} className="field-error" data-testid={id}>
      {messages.join('; ')}
    </span>
  );
}

function RuleField({ spec, value, errors, onChange }: { spec: FieldSpec; value: string | boolean | undefined; errors: string[] | undefined; onChange: (v: string | boolean) => void }) {
  const id = inputId(spec.name);
  const describedBy = [spec.hint ? `${id}-hint` : '', errors ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const common = { id, 'aria-invalid': errors ? true : undefined, 'aria-describedby': describedBy } as const;
  let input;
  if (spec.kind === 'checkbox') {
    input = <input {...common} type="checkbox" checked={value !== false} onChange={(e) => onChange(e.target.checked)} />;
  } else if (spec.kind === 'select') {
    input = (
      <select {...common} value={typeof value === 'string' ? value : ''} onChange={(e) => onChange(e.target.value)}>
        {spec.empty !== undefined && <option value="">{spec.empty}</option>}
        {spec.options?.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  } else {
    input = (
      <input
        {...common}
        type="text"
        inputMode={spec.kind === 'number' ? 'decimal' : undefined}
        value={typeof value === 'string' ? value : ''}
        onChange={(e) => onChange(e.target.value)}
        spellCheck={false}
        autoComplete="off"
      />
    );
  }
  return (
    <div className={`field${spec.kind === 'checkbox' ? ' checkbox' : ''}`}>
      <label htmlFor={id}>{spec.label}</label>
      {input}
      {spec.hint && (
        <span id={`${id}-hint`} className="hint">
          {spec.hint}
        </span>
      )}
      {errors && <FieldMessage id={`${id}-error`} messages={errors} />}
    </div>
  );
}
