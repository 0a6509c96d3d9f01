import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuditEventInput } from '@audit/contracts';
import { aTenant, expectEventually } from '@audit/testing';
import { DELIVERY_FAILED, DELIVERY_REFUSED } from '../src/alerting/notifications/delivery.worker';
import { AlertingHarness } from './support/alerting-harness';

/** A receiver that answers every request the same way and counts what reached it. */
class Answering {
  hits = 0;
  private server: Server | undefined;
  port = 0;
  constructor(
    private readonly host: string,
    private readonly answer: { status: number; body?: string; headers?: Record<string, string> },
  ) {}
  async up(): Promise<this> {
    this.server = createServer((req, res) => {
      this.hits++;
      req.resume();
      req.on('end', () => res.writeHead(this.answer.status, this.answer.headers ?? {}).end(this.answer.body ?? ''));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, this.host, resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }
  url(path = '/'): string {
    return `http://${this.host}:${this.port}${path}`;
  }
  async down(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/**
 * SSRF through alert channels (issue 17, finding 1), on the real stack: the harness allows 127.0.0.1/32
 * only (its receivers live there), so every other internal address must be refused at save and at send,
 * redirects are not followed, and a tenant never learns what an internal target answered.
 */
describe('outbound policy on alert channels (real Kafka, Postgres, OpenSearch)', () => {
  const h = new AlertingHarness();
  const secret = randomBytes(32).toString('hex');
  const failing = new Answering('127.0.0.1', { status: 500, body: '{"cluster_name":"internal-opensearch","status":"red"}' });
  const sneaky = new Answering('127.0.0.2', { status: 204 });
  const hidden = new Answering('127.0.0.1', { status: 204 });
  let redirecting: Answering;

  beforeAll(async () => {
    await Promise.all([failing.up(), sneaky.up(), hidden.up()]);
    redirecting = await new Answering('127.0.0.1', { status: 307, headers: { location: hidden.url('/stolen') } }).up();
    await h.start({ ALERT_WEBHOOK_MAX_ATTEMPTS: '1' });
  });
  afterAll(async () => {
    await h.stop();
    await Promise.all([failing.down(), sneaky.down(), hidden.down(), redirecting.down()]);
  });

  it.each([
    ['http://127.0.0.2:9200/_search', 'loopback'],
    ['http://localhost:9200/_search', 'loopback'],
    ['http://[::1]:9200/', 'loopback'],
    ['http://2130706433:9200/', 'ip-form'],
    ['http://0177.0.0.1:9200/', 'ip-form'],
    ['http://0x7f000001:9200/', 'ip-form'],
    ['http://[::ffff:127.0.0.1]:9200/', 'ip-form'],
    ['http://169.254.169.254/latest/meta-data/', 'metadata'],
    ['http://[fd00:ec2::254]/', 'metadata'],
    ['http://10.0.0.5/', 'private'],
    ['http://192.168.0.1/', 'private'],
    ['http://100.64.0.1/', 'cgnat'],
    ['http://0.0.0.0:9200/', 'unspecified'],
    ['http://[fe80::1]/', 'link-local'],
    ['http://[fc00::1]/', 'unique-local'],
  ])('PUT a channel to %s → 422 naming url and the %s rule', async (url, rule) => {
    const tenant = aTenant('ob');
    const res = await h.call('PUT', '/v1/alert-channels/oncall', await h.token(tenant, ['admin']), { url, format: 'json', secret });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ path: 'url', message: expect.stringMatching(new RegExp(`^${rule}: `)) }]);
    const { rows } = await h.pool.query('SELECT 1 FROM query.alert_channels WHERE tenant = $1', [tenant]);
    expect(rows).toEqual([]);
  });

  async function fireTo(url: string, tamper?: (tenant: string) => Promise<void>) {
    const tenant = aTenant('ob');
    const admin = await h.token(tenant, ['admin']);
    expect((await h.call('PUT', '/v1/alert-channels/oncall', admin, { url, format: 'json', secret })).status).toBe(200);
    await tamper?.(tenant);
    const rule = await h.call('PUT', '/v1/alert-rules/any-failure', admin, { name: 'any failure', type: 'frequency', filter: 'type:deployment.failed', threshold: 1, window: '10m', notify: ['oncall'] });
    expect(rule.status).toBe(201);
    const event: Partial<AuditEventInput> = { type: 'deployment.failed', outcome: 'failed', occurredAt: h.now.toISOString() };
    const [record] = await h.commit(tenant, event);
    await h.evaluated(tenant, record!.seq);
    let dead: { last_error: string | null }[] = [];
    await expectEventually(async () => {
      dead = (await h.outbox(tenant, 'webhook')).filter((o) => o.status === 'dead');
      expect(dead).toHaveLength(1);
    }, { timeoutMs: 20_000 });
    const [alert] = await h.alerts(tenant);
    const view = await h.call('GET', `/v1/alerts/${alert!.id}`, admin);
    return { stored: dead[0]!.last_error, shown: view.body.deliveries.find((d: { kind: string }) => d.kind === 'webhook').lastError as string };
  }

  it("a delivery error shows a generic reason, never the target's status or body (no port/status oracle)", async () => {
    const { stored, shown } = await fireTo(failing.url('/_search'));
    expect(failing.hits).toBeGreaterThan(0);
    expect(shown).toBe(DELIVERY_FAILED);
    expect(stored).toBe(DELIVERY_FAILED);
    expect(shown).not.toMatch(/500|cluster_name|internal-opensearch/);
  });

  it('a redirect is not followed', async () => {
    const { shown } = await fireTo(redirecting.url('/hook'));
    expect(redirecting.hits).toBeGreaterThan(0);
    expect(hidden.hits).toBe(0);
    expect(shown).toBe(DELIVERY_FAILED);
  });

  it('the address is checked again right before sending: a channel row pointing inside (saved before, or DNS changed) is refused', async () => {
    const { shown } = await fireTo(hidden.url('/ok'), async (tenant) => {
      await h.pool.query("UPDATE query.alert_channels SET url = $2 WHERE tenant = $1 AND name = 'oncall'", [tenant, sneaky.url('/internal')]);
    });
    expect(sneaky.hits).toBe(0);
    expect(shown).toBe(DELIVERY_REFUSED);
  });
});
