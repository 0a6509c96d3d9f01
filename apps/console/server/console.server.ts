import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Logger } from '@audit/observability';
import type { ConsoleConfig } from './console.config';
import { devLogin } from './dev-login.handler';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

// The bundle loads nothing from elsewhere, so the page may talk to its own origin only.
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const MAX_LOGIN_BODY = 4096;

/**
 * Where `/api/<service>/v1/…` goes: the service origin and the path on it; anything else is not proxied.
 * A path with a dot segment (`..` or `.`, also percent-encoded, also behind an encoded slash) is refused:
 * `new URL()` would resolve `/v1/../metrics` to `/metrics`, outside the API the console may reach.
 */
export function proxyTarget(url: string, upstreams: { query: string; ledger: string }): { origin: string; path: string } | { refused: string } | null {
  const m = /^\/api\/(query|ledger)(\/v1\/[^#]*)$/.exec(url);
  if (!m) return null;
  const path = m[2]!;
  if (hasDotSegment(path.split('?')[0]!)) return { refused: 'the path must not contain "." or ".." segments (plain or percent-encoded)' };
  return { origin: m[1] === 'query' ? upstreams.query : upstreams.ledger, path };
}

/** True when any segment of the path, decoded (repeatedly: %252e), is `.` or `..`; backslashes count as slashes. */
export function hasDotSegment(pathname: string): boolean {
  let text = pathname;
  for (let i = 0; i < 3; i++) {
    if (/(^|[/\\])\.{1,2}([/\\]|$)/.test(text)) return true;
    let decoded: string;
    try {
      decoded = decodeURIComponent(text);
    } catch {
      return true;
    }
    if (decoded === text) return false;
    text = decoded;
  }
  return /(^|[/\\])\.{1,2}([/\\]|$)/.test(text) || /%/.test(text);
}

/**
 * The console's only server: static files of the built bundle (unknown paths get index.html, the app
 * routes on the client), `/api/query/*` and `/api/ledger/*` forwarded to the services with the caller's
 * bearer token (one origin for the browser, so no CORS), and the development login.
 */
export function createConsoleServer(config: ConsoleConfig, logger: Logger, now: () => Date = () => new Date()): Server {
  const staticRoot = resolve(config.CONSOLE_STATIC_DIR);
  const upstreams = { query: config.QUERY_URL, ledger: config.LEDGER_URL };
  const devLoginEnabled = config.NODE_ENV !== 'production';

  return createServer((req, res) => {
    const url = req.url ?? '/';
    const done = (status: number) => logger.debug({ method: req.method, url: url.split('?')[0], status }, 'console request');
    if (url === '/healthz') return send(res, 200, 'application/json', '{"status":"ok"}');
    if (url === '/dev-login' || url === '/dev-login/config') {
      if (!devLoginEnabled) return sendProblem(res, 404, 'dev login is disabled in production');
      if (url === '/dev-login/config' && req.method === 'GET') return send(res, 200, 'application/json', '{"devLogin":true}');
      if (req.method !== 'POST') return sendProblem(res, 405, 'use POST');
      return void readJson(req, MAX_LOGIN_BODY)
        .then(async (body) => {
          const result = body === undefined ? { status: 400, body: { type: 'about:blank', title: 'body must be JSON', status: 400 } } : await devLogin(body, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, hmacSecret: config.JWT_DEV_SECRET, now });
          send(res, result.status, result.status === 200 ? 'application/json' : 'application/problem+json', JSON.stringify(result.body));
          done(result.status);
        })
        .catch((err: unknown) => {
          logger.error({ err }, 'dev login failed');
          sendProblem(res, 500, 'dev login failed');
        });
    }
    const target = proxyTarget(url, upstreams);
    if (target && 'refused' in target) return sendProblem(res, 400, target.refused);
    if (target) return forward(req, res, target, logger);
    if (url.startsWith('/api/')) return sendProblem(res, 404, 'only /api/query/v1/… and /api/ledger/v1/… are forwarded');
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendProblem(res, 405, 'static files are GET only');
    return void serveStatic(staticRoot, url, res).catch((err: unknown) => {
      logger.error({ err }, 'static file failed');
      sendProblem(res, 500, 'could not read the console bundle');
    });
  });
}

function forward(req: IncomingMessage, res: ServerResponse, target: { origin: string; path: string }, logger: Logger): void {
  const headers: Record<string, string> = { accept: req.headers.accept ?? 'application/json' };
  // Only what the services need: the bearer token and the body's type. No cookies, no forwarded host.
  if (req.headers.authorization) headers.authorization = req.headers.authorization;
  if (req.headers['content-type']) headers['content-type'] = req.headers['content-type'];
  const upstream = httpRequest(new URL(target.path, target.origin), { method: req.method, headers, timeout: 30_000 }, (answer) => {
    const out: Record<string, string> = {};
    for (const name of ['content-type', 'retry-after', 'www-authenticate', 'content-disposition']) {
      const value = answer.headers[name];
      if (typeof value === 'string') out[name] = value;
    }
    res.writeHead(answer.statusCode ?? 502, { ...out, 'cache-control': 'no-store' });
    answer.pipe(res);
  });
  upstream.on('timeout', () => upstream.destroy(new Error('upstream timeout')));
  upstream.on('error', (err) => {
    logger.warn({ err: err.message, origin: target.origin, path: target.path.split('?')[0] }, 'upstream unreachable');
    if (!res.headersSent) sendProblem(res, 502, `${target.origin} did not answer: ${err.message}`);
    else res.destroy();
  });
  req.pipe(upstream);
}

async function serveStatic(root: string, url: string, res: ServerResponse): Promise<void> {
  const pathname = decodeURIComponent(url.split('?')[0] ?? '/');
  const candidate = normalize(join(root, pathname));
  // Stay inside the bundle whatever the path says (../, encoded dots).
  const inside = candidate === root || candidate.startsWith(root + sep);
  let file = inside ? candidate : join(root, 'index.html');
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) file = join(root, 'index.html');
  const index = await stat(file).catch(() => undefined);
  if (!index?.isFile()) return sendProblem(res, 503, `the console bundle is not built in ${root}: run npx vite build --config apps/console/vite.config.mjs`);
  const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
  // Hashed asset names never change content; index.html must be revalidated to pick up a new build.
  const cache = file.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache';
  res.writeHead(200, { 'content-type': type, 'cache-control': cache, ...SECURITY_HEADERS });
  createReadStream(file).pipe(res);
}

function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.destroy();
        reject(new Error('body too large'));
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        resolveBody(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
      } catch {
        resolveBody(undefined);
      }
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...SECURITY_HEADERS });
  res.end(body);
}

function sendProblem(res: ServerResponse, status: number, detail: string): void {
  send(res, status, 'application/problem+json', JSON.stringify({ type: 'about:blank', title: detail, status, detail }));
}
