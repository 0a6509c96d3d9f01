/** Calls to the services' public APIs through the console server's /api/query and /api/ledger proxies. */

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  position?: number;
  expected?: string[];
  errors?: { path: string; message: string }[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.name = 'ApiError';
  }
}

export type Service = 'query' | 'ledger';

export async function apiGet<T>(service: Service, path: string, token: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) search.set(k, String(v));
  const qs = search.toString();
  const res = await fetch(`/api/${service}${path}${qs ? `?${qs}` : ''}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  const body = (await res.json().catch(() => ({}))) as unknown;
  if (!res.ok) throw new ApiError(res.status, (body ?? {}) as Problem);
  return body as T;
}

/** POST/PUT with an optional JSON body; the answer (or the problem) is read as `apiGet` does. */
export async function apiSend<T>(service: Service, method: 'POST' | 'PUT', path: string, token: string, body?: unknown, params: Record<string, string | undefined> = {}): Promise<T> {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) search.set(k, v);
  const qs = search.toString();
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/api/${service}${path}${qs ? `?${qs}` : ''}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const answer = (await res.json().catch(() => ({}))) as unknown;
  if (!res.ok) throw new ApiError(res.status, (answer ?? {}) as Problem);
  return answer as T;
}

export async function devLogin(tenant: string, role: string): Promise<string> {
  const res = await fetch('/dev-login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant, role }) });
  const body = (await res.json().catch(() => ({}))) as { token?: string } & Problem;
  if (!res.ok || !body.token) throw new ApiError(res.status, body);
  return body.token;
}

export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = error.problem.errors?.map((e) => `${e.path}: ${e.message}`).join('; ');
    return `${error.status} ${error.problem.title ?? ''}${error.problem.detail && error.problem.detail !== error.problem.title ? ` — ${error.problem.detail}` : ''}${fields ? ` (${fields})` : ''}`.trim();
  }
  return error instanceof Error ? error.message : String(error);
}
