import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseEnv } from '@audit/config';
import { createLogger } from '@audit/observability';
import { aTenant } from '@audit/testing';
import { QueryHarness } from '../../query/test/support/query-harness';
import { ConsoleEnv } from '../server/console.config';
import { createConsoleServer } from '../server/console.server';

/** A request with the path exactly as written: fetch() and new URL() would resolve the dot segments first. */
function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Issue 17, finding 7: the console proxy forwarded `/api/query/v1/../metrics` as `/metrics` of the query
 * service. Against the real query service (real Kafka, Postgres, OpenSearch), listening on a port.
 */
describe('console proxy refuses dot segments (real query service)', () => {
  const h = new QueryHarness();
  let server: Server;
  let port: number;
  let queryPort: number;

  beforeAll(async () => {
    await h.start({ QUERY_PROJECTORS: '' });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    queryPort = (h.app.getHttpServer().address() as AddressInfo).port;
    server = createConsoleServer(parseEnv(ConsoleEnv, { ...process.env, NODE_ENV: 'test', QUERY_URL: `http://127.0.0.1:${queryPort}`, CONSOLE_STATIC_DIR: '/nonexistent' }), createLogger('console', 'silent'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  }, 60_000);
  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await h.stop();
  });

  it('the metrics the attack aims at are really there on the query service', async () => {
    const direct = await rawGet(queryPort, '/metrics');
    expect(direct.status).toBe(200);
    expect(direct.body).toContain('# HELP');
  });

  it.each(['/api/query/v1/../metrics', '/api/query/v1/%2e%2e/metrics', '/api/query/v1/%2E%2e/metrics', '/api/query/v1/.%2e/metrics', '/api/query/v1/x/..%2f..%2fmetrics', '/api/query/v1/%252e%252e/metrics'])(
    '%s → 400, and the metrics are not returned',
    async (path) => {
      const res = await rawGet(port, path);
      expect(res.status).toBe(400);
      expect(res.body).not.toContain('# HELP');
      expect(JSON.parse(res.body)).toMatchObject({ status: 400, detail: expect.stringMatching(/segments/) });
    },
  );

  it('still forwards a normal API path', async () => {
    const token = await h.token(aTenant('cp'), ['viewer']);
    const res = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/api/query/v1/changes', headers: { authorization: `Bearer ${token}` } }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(res).toBe(200);
  });
});
