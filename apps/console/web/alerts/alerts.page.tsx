import type { Session } from '../shared/session';

/**
 * Placeholder: alerting (issue 8, apps/query/src/alerting) had not landed when the console was built, so
 * there is no public API to list, acknowledge or resolve alerts yet. The page says so instead of faking it.
 */
export function AlertsPage({ session }: { session: Session }) {
  return (
    <section aria-labelledby="alerts-title">
      <h1 id="alerts-title" tabIndex={-1}>
        Alerts
      </h1>
      <p className="notice" role="status" data-testid="alerts-placeholder">
        Alerting is not available yet: the query service has no alert endpoints (issue 8). Once it lands, this page lists firing,
        acknowledged and resolved alerts for tenant <strong>{session.tenant}</strong>, with acknowledge and resolve for analysts and
        above, and the rules page for admins.
      </p>
    </section>
  );
}
