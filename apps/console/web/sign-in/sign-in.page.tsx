import { useState, type FormEvent } from 'react';
import { describeError, devLogin } from '../common/api';
import { ROLES, sessionFromToken, type Session } from '../common/session';

/**
 * Development sign-in: the console server mints a token for the chosen tenant and role (refused in
 * production, where the organisation's identity provider issues the token and it can be pasted here).
 */
export function SignInPage({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [tenant, setTenant] = useState('');
  const [role, setRole] = useState<string>('analyst');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submitDev = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = sessionFromToken(await devLogin(tenant.trim(), role));
      if (!session) throw new Error('the server returned an unreadable token');
      onSignedIn(session);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const submitToken = (e: FormEvent) => {
    e.preventDefault();
    const session = sessionFromToken(token.trim());
    if (session) onSignedIn(session);
    else setError('that is not a token with tenant, sub and exp claims');
  };

  return (
    <main id="main" className="signin">
      <h1 tabIndex={-1}>Sign in to the audit ledger console</h1>
      <form onSubmit={submitDev} aria-labelledby="dev-login-title" className="card">
        <h2 id="dev-login-title">Development login</h2>
        <p className="hint">Mints a short-lived token signed with the services' development secret. Disabled in production.</p>
        <label htmlFor="tenant">Tenant</label>
        <input id="tenant" name="tenant" required pattern="[a-z0-9][a-z0-9\-]{0,62}" autoComplete="off" value={tenant} onChange={(e) => setTenant(e.target.value)} />
        <label htmlFor="role">Role</label>
        <select id="role" name="role" value={role} onChange={(e) => setRole(e.target.value)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <form onSubmit={submitToken} aria-labelledby="token-title" className="card">
        <h2 id="token-title">Or use a token</h2>
        <label htmlFor="token">Bearer token from your identity provider</label>
        <textarea id="token" rows={3} value={token} onChange={(e) => setToken(e.target.value)} />
        <button type="submit">Use token</button>
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </main>
  );
}
