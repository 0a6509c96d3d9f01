import { Fragment, useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, apiGet, apiSend, describeError } from '../common/api';
import { hasRole, type Session } from '../common/session';
import {
  ACTION_LABELS,
  actionsFor,
  ALERT_STATES,
  alertListParams,
  changeEventsQuery,
  describeRefusal,
  searchHref,
  seqSummary,
  utc,
  type Alert,
  type AlertAction,
  type AlertDetail,
} from './alert-view';

const LIMIT = 200;

interface RuleSummary {
  id: string;
  definition: { name?: string };
}

/**
 * Alerts of the reader's tenant (`GET /v1/alerts`), filtered by state and rule, with the evidence that
 * fired them and acknowledge/resolve for the roles the service lets transition (auditor and admin,
 * apps/query/src/alerting/alerting-access.ts). Outcomes of actions are announced in a live region.
 */
export function AlertsPage({ session }: { session: Session }) {
  const mayTransition = hasRole(session, 'auditor');
  const [filter, setFilter] = useState({ state: '', ruleId: '' });
  const [rules, setRules] = useState<RuleSummary[]>([]);
  const [alerts, setAlerts] = useState<Alert[] | null>(null);
  const [loading, setLoading] = useState(false);
  const [status, setStatus] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [expanded, setExpanded] = useState<string | null>(null);
  const detailButtons = useRef(new Map<string, HTMLButtonElement>());

  const load = useCallback(async () => {
    setLoading(true);
    setError(null);
    try {
      const result = await apiGet<{ alerts: Alert[] }>('query', '/v1/alerts', session.token, alertListParams(filter, LIMIT));
      setAlerts(result.alerts);
      const n = result.alerts.length;
      setStatus(`${n === LIMIT ? 'at least ' : ''}${n} alert${n === 1 ? '' : 's'}${filter.state ? ` ${filter.state}` : ''}${filter.ruleId ? ` of rule ${filter.ruleId}` : ''}`);
    } catch (err) {
      setAlerts(null);
      setError(`Could not list alerts: ${describeError(err)}`);
    } finally {
      setLoading(false);
    }
  }, [session.token, filter]);

  useEffect(() => {
    void load();
  }, [load]);

  useEffect(() => {
    apiGet<{ rules: RuleSummary[] }>('query', '/v1/alert-rules', session.token)
      .then((r) => setRules(r.rules))
      // The rule filter is a convenience; without the list the page still works with "All rules".
      .catch(() => setRules([]));
  }, [session.token]);

  const replace = (next: Alert) => setAlerts((list) => list?.map((a) => (a.id === next.id ? { ...a, ...next } : a)) ?? list);

  const act = async (alert: Alert, action: AlertAction) => {
    const verb = `${ACTION_LABELS[action].verb.toLowerCase()} “${alert.title}”`;
    setBusy(alert.id);
    setError(null);
    try {
      const updated = await apiSend<Alert>('query', 'POST', `/v1/alerts/${encodeURIComponent(alert.id)}/${action}`, session.token);
      replace(updated);
      const by = action === 'ack' ? updated.acknowledgedBy : updated.resolvedBy;
      setStatus(`Alert “${updated.title}” ${ACTION_LABELS[action].done}${by ? ` by ${by}` : ''}; it is now ${updated.state}.`);
    } catch (err) {
      setError(describeRefusal(verb, err));
      setStatus('');
      // A conflict means the list was stale (someone else acted first): show the alert as it is now.
      if (err instanceof ApiError && err.status === 409) {
        await apiGet<Alert>('query', `/v1/alerts/${encodeURIComponent(alert.id)}`, session.token)
          .then(replace)
          .catch(() => undefined);
      }
    } finally {
      setBusy(null);
      // The pressed button may be gone (an acknowledged alert has no Acknowledge): keep focus in the row.
      detailButtons.current.get(alert.id)?.focus();
    }
  };

  return (
    <section aria-labelledby="alerts-title">
      <h1 id="alerts-title" tabIndex={-1}>
        Alerts
      </h1>
      <form
        className="searchbar"
        aria-label="Filter alerts"
        onSubmit={(e) => {
          e.preventDefault();
          void load();
        }}
      >
        <div className="field">
          <label htmlFor="alert-state">State</label>
          <select id="alert-state" value={filter.state} onChange={(e) => setFilter((f) => ({ ...f, state: e.target.value }))}>
            <option value="">All states</option>
            {ALERT_STATES.map((s) => (
              <option key={s} value={s}>
                {s[0]!.toUpperCase() + s.slice(1)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="alert-rule">Rule</label>
          <select id="alert-rule" value={filter.ruleId} onChange={(e) => setFilter((f) => ({ ...f, ruleId: e.target.value }))}>
            <option value="">All rules</option>
            {rules.map((r) => (
              <option key={r.id} value={r.id}>
                {r.definition.name ? `${r.definition.name} (${r.id})` : r.id}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" disabled={loading}>
          {loading ? 'Loading…' : 'Refresh'}
        </button>
      </form>
      {!mayTransition && (
        <p className="hint" data-testid="alerts-readonly">
          You can read alerts; acknowledging and resolving them is recorded in the ledger under your name and needs the auditor role or above.
        </p>
      )}
      <p className="hint" role="status" aria-live="polite" data-testid="alerts-status">
        {status}
      </p>
      {error && (
        <p role="alert" className="error" data-testid="alerts-error">
          {error}
        </p>
      )}
      {alerts && alerts.length === 0 && <p className="hint">No alerts match.</p>}
      {alerts && alerts.length > 0 && (
        <table className="events alerts" aria-label="Alerts">
          <thead>
            <tr>
              <th scope="col">State</th>
              <th scope="col">Severity</th>
              <th scope="col">Alert and rule</th>
              <th scope="col">First seen</th>
              <th scope="col">Last seen</th>
              <th scope="col">Evidence</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {alerts.map((a) => {
              const seqs = seqSummary(a.matchedSeqs);
              const open = expanded === a.id;
              return (
                <Fragment key={a.id}>
                  <tr data-alert-id={a.id} data-rule-id={a.ruleId} data-state={a.state}>
                    <td>
                      <span className={`pill state-${a.state}`} data-testid="alert-state">
                        {a.state}
                      </span>
                    </td>
                    <td>
                      <span className={`pill severity-${a.severity}`}>{a.severity}</span>
                    </td>
                    <td>
                      <strong>{a.title}</strong>
                      <div className="reason">{a.summary}</div>
                      <div className="hint">
                        rule <code>{a.ruleId}</code> v{a.ruleVersion} · fired {a.fireCount}×
                        {a.groupKey && (
                          <>
                            {' '}
                            · group <code>{a.groupKey}</code>
                          </>
                        )}
                      </div>
                    </td>
                    <td>{utc(a.firstFiredAt)}</td>
                    <td>{utc(a.lastFiredAt)}</td>
                    <td>
                      {a.changeIds.length > 0 && (
                        <ul className="plain">
                          {a.changeIds.slice(0, 5).map((c) => (
                            <li key={c}>
                              <a href={`#/changes/${encodeURIComponent(c)}`}>Change {c}</a> · <a href={searchHref(changeEventsQuery(c))} aria-label={`Events of change ${c}`}>events</a>
                            </li>
                          ))}
                          {a.changeIds.length > 5 && <li className="hint">and {a.changeIds.length - 5} more changes</li>}
                        </ul>
                      )}
                      <div className="hint" data-testid="alert-seqs">
                        ledger seq {seqs.shown.join(', ')}
                        {seqs.more > 0 && ` and ${seqs.more} more`}
                      </div>
                    </td>
                    <td className="actions">
                      <button
                        type="button"
                        className="link"
                        aria-expanded={open}
                        aria-controls={`alert-detail-${a.id}`}
                        aria-label={`Details of alert: ${a.title}`}
                        ref={(el) => {
                          if (el) detailButtons.current.set(a.id, el);
                          else detailButtons.current.delete(a.id);
                        }}
                        onClick={() => setExpanded(open ? null : a.id)}
                      >
                        Details
                      </button>
                      {actionsFor(a.state, mayTransition).map((action) => (
                        <button key={action} type="button" disabled={busy === a.id} aria-label={`${ACTION_LABELS[action].verb} alert: ${a.title}`} onClick={() => void act(a, action)}>
                          {ACTION_LABELS[action].verb}
                        </button>
                      ))}
                    </td>
                  </tr>
                  {open && (
                    <tr id={`alert-detail-${a.id}`} className="detail">
                      <td colSpan={7}>
                        <AlertDetails session={session} alertId={a.id} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** `GET /v1/alerts/:id`: who acknowledged or resolved it, all its evidence, and its notification deliveries. */
function AlertDetails({ session, alertId }: { session: Session; alertId: string }) {
  const [detail, setDetail] = useState<AlertDetail | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    apiGet<AlertDetail>('query', `/v1/alerts/${encodeURIComponent(alertId)}`, session.token)
      .then(setDetail)
      .catch((err: unknown) => setError(describeError(err)));
  }, [alertId, session.token]);

  if (error)
    return (
      <p role="alert" className="error">
        {error}
      </p>
    );
  if (!detail) return <p className="hint">Loading…</p>;
  return (
    <div data-testid="alert-detail">
      <dl className="kv">
        <dt>Alert id</dt>
        <dd>
          <code>{detail.id}</code>
        </dd>
        <dt>Acknowledged</dt>
        <dd>{detail.acknowledgedAt ? `${utc(detail.acknowledgedAt)} by ${detail.acknowledgedBy ?? '?'}` : '—'}</dd>
        <dt>Resolved</dt>
        <dd>{detail.resolvedAt ? `${utc(detail.resolvedAt)} by ${detail.resolvedBy ?? '?'}` : '—'}</dd>
        <dt>Ledger seqs</dt>
        <dd>{detail.matchedSeqs.join(', ') || '—'}</dd>
        <dt>Changes</dt>
        <dd>{detail.changeIds.join(', ') || '—'}</dd>
      </dl>
      <h2>Deliveries</h2>
      {detail.deliveries.length === 0 ? (
        <p className="hint">none</p>
      ) : (
        <table className="events" aria-label={`Deliveries of alert ${detail.title}`}>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Channel</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last error</th>
              <th scope="col">Done</th>
            </tr>
          </thead>
          <tbody>
            {detail.deliveries.map((d) => (
              <tr key={d.id}>
                <td>{d.kind}</td>
                <td>{d.channel ?? '—'}</td>
                <td>{d.status}</td>
                <td>{d.attempts}</td>
                <td>{d.lastError ?? ''}</td>
                <td>{utc(d.doneAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
