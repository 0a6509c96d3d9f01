/** The signed-in reader: a bearer token and the claims the UI needs to choose what to show. */

export const ROLES = ['viewer', 'analyst', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Session {
  token: string;
  tenant: string;
  sub: string;
  roles: Role[];
  expiresAt: number;
}

const KEY = 'audit-console.session';

/** Claims read from the token's payload to drive the UI only; the services verify the token on every call. */
export function sessionFromToken(token: string): Session | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
    const roles = Array.isArray(claims.roles) ? claims.roles.filter((r): r is Role => (ROLES as readonly string[]).includes(r as string)) : [];
    if (typeof claims.tenant !== 'string' || typeof claims.sub !== 'string' || typeof claims.exp !== 'number') return null;
    return { token, tenant: claims.tenant, sub: claims.sub, roles, expiresAt: claims.exp * 1000 };
  } catch {
    return null;
  }
}

/** Cumulative roles, as the services rank them (viewer < analyst < auditor < admin). */
export function hasRole(session: Session, needed: Role): boolean {
  const rank = ROLES.indexOf(needed);
  return session.roles.some((r) => ROLES.indexOf(r) >= rank);
}

/** The part of Web Storage used here (the page passes `sessionStorage`: a tab's sign-in ends with the tab). */
export interface TokenStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export function loadSession(store: TokenStore, now: number): Session | null {
  const token = store.getItem(KEY);
  const session = token ? sessionFromToken(token) : null;
  return session && session.expiresAt > now ? session : null;
}

export function saveSession(store: TokenStore, session: Session | null): void {
  if (session) store.setItem(KEY, session.token);
  else store.removeItem(KEY);
}
