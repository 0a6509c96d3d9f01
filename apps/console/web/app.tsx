import { useEffect, useState, type ReactNode } from 'react';
import { AlertsPage } from './alerts/alerts.page';
import { ChangeStoryPage } from './change-story/change-story.page';
import { ChangesListPage } from './change-story/changes-list.page';
import { LedgerStatusPage } from './ledger-status/ledger-status.page';
import { RulesPage } from './rules/rules.page';
import { SearchPage } from './search/search.page';
import { hasRole, loadSession, saveSession, type Role, type Session } from './common/session';
import { SignInPage } from './sign-in/sign-in.page';

interface Route {
  page: 'search' | 'changes' | 'change' | 'ledger' | 'alerts' | 'rules';
  changeId?: string;
  /** `#/search?q=…`: a search to run on arrival (links from alerts to their evidence). */
  query?: string;
}

/** Hash routes, so the static server needs no knowledge of the pages. */
function parseRoute(hash: string): Route {
  const [path = '', qs = ''] = hash.replace(/^#/, '').split('?', 2);
  const change = /^\/changes\/(.+)$/.exec(path);
  if (change) return { page: 'change', changeId: decodeURIComponent(change[1]!) };
  if (path === '/changes') return { page: 'changes' };
  if (path === '/ledger') return { page: 'ledger' };
  if (path === '/alerts') return { page: 'alerts' };
  if (path === '/rules') return { page: 'rules' };
  const query = new URLSearchParams(qs).get('q');
  return query === null ? { page: 'search' } : { page: 'search', query };
}

/** Least role each page needs — the services' own rule (apps/query/src/auth/read-access.ts); they refuse anyway. */
const NEEDS: Record<Route['page'], Role> = { search: 'viewer', changes: 'viewer', change: 'analyst', ledger: 'auditor', alerts: 'analyst', rules: 'admin' };

const NAV: { page: Route['page']; href: string; label: string }[] = [
  { page: 'search', href: '#/search', label: 'Activity' },
  { page: 'changes', href: '#/changes', label: 'Changes' },
  { page: 'ledger', href: '#/ledger', label: 'Ledger status' },
  { page: 'alerts', href: '#/alerts', label: 'Alerts' },
  { page: 'rules', href: '#/rules', label: 'Alert rules' },
];

export function App() {
  const [session, setSession] = useState<Session | null>(() => loadSession(sessionStorage, Date.now()));
  const [route, setRoute] = useState<Route>(() => parseRoute(location.hash));

  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  // Move focus to the new page's heading so keyboard and screen-reader users land on the content.
  useEffect(() => {
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [route.page, route.changeId, route.query, session]);

  const signOut = () => {
    saveSession(sessionStorage, null);
    setSession(null);
  };

  if (!session) {
    return (
      <SignInPage
        onSignedIn={(s) => {
          saveSession(sessionStorage, s);
          setSession(s);
        }}
      />
    );
  }

  let page: ReactNode;
  if (!hasRole(session, NEEDS[route.page])) {
    page = (
      <section aria-labelledby="denied">
        <h1 id="denied" tabIndex={-1}>Not available</h1>
        <p role="alert" className="notice">
          This page needs the <strong>{NEEDS[route.page]}</strong> role; you are signed in as <strong>{session.roles.join(', ') || 'no role'}</strong>.
        </p>
      </section>
    );
  } else if (route.page === 'change') page = <ChangeStoryPage session={session} changeId={route.changeId!} />;
  else if (route.page === 'changes') page = <ChangesListPage session={session} />;
  else if (route.page === 'ledger') page = <LedgerStatusPage session={session} />;
  else if (route.page === 'alerts') page = <AlertsPage session={session} />;
  else if (route.page === 'rules') page = <RulesPage session={session} />;
  else page = <SearchPage key={route.query ?? ''} session={session} initialQuery={route.query ?? ''} />;

  const current = route.page === 'change' ? 'changes' : route.page;
  return (
    <>
      <a className="skip" href="#main">Skip to content</a>
      <header className="topbar">
        <span className="brand">Audit ledger</span>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((n) => hasRole(session, NEEDS[n.page])).map((n) => (
              <li key={n.page}>
                <a href={n.href} aria-current={current === n.page ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span className="who" data-testid="who">
          {session.sub} · tenant <strong>{session.tenant}</strong> · {session.roles.join(', ')}
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main">{page}</main>
    </>
  );
}
