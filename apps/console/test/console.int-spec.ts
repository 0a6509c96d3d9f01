import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { mintDevToken } from '@audit/auth';
import { parseEnv } from '@audit/config';
import { AcceptedEvent, serviceProvenance, uuidv7, type AuditEventInput } from '@audit/contracts';
import { createPool, type Pool } from '@audit/db';
import { verifyBundle } from '@audit/export-bundle';
import { createLogger } from '@audit/observability';
import { OPENSEARCH } from '@audit/service-shell';
import { aTenant, expectEventually } from '@audit/testing';
import { createApiKey } from '../../cli/src/admin/api-keys.store';
import { IngestEnv } from '../../ingest/src/config';
import { createIngestApp } from '../../ingest/src/ingest.app';
import { LedgerHarness } from '../../ledger/test/ledger-harness';
import { QueryEnv } from '../../query/src/config';
import { createQueryApp } from '../../query/src/query.app';
import { ConsoleEnv } from '../server/console.config';
import { createConsoleServer } from '../server/console.server';

/**
 * The console end to end: the real ledger, ingest and query services in-process (own topic namespace,
 * index prefix and consumer groups; random tenants), the console server in front of them, and Debian's
 * chromium driven by playwright-core. A change whose deployed artifact differs from the gated one is
 * emitted through ingest, committed by the ledger and projected by query; the browser then signs in,
 * searches, refines by a facet, verifies an inclusion proof with WebCrypto, reads the change story with
 * the mismatch flagged, and is kept out of pages and tenants its role and token do not cover.
 */
const CHROMIUM = '/usr/bin/chromium';
const ROOT = resolve(__dirname, '../../..');
const SHOTS = join(ROOT, '.local', 'screenshots');
const JWT = { issuer: 'audit-ledger-dev', audience: 'audit-ledger', hmacSecret: 'local-development-secret-change-me-0123456789' };

// playwright-core has no web-first assertions (those live in @playwright/test): retry jest's instead.
const until = (assertion: () => Promise<void>, timeoutMs = 15_000) => expectEventually(assertion, { timeoutMs });
const seen = (l: Locator) => l.first().waitFor({ state: 'visible' });
const hasText = (l: Locator, text: string | RegExp, timeoutMs?: number) =>
  until(async () => (typeof text === 'string' ? expect(await l.innerText()).toContain(text) : expect(await l.innerText()).toMatch(text)), timeoutMs);
const lacksText = (l: Locator, text: string) => until(async () => expect(await l.innerText()).not.toContain(text));
const hasAttr = (l: Locator, name: string, value: string, timeoutMs?: number) => until(async () => expect(await l.getAttribute(name)).toBe(value), timeoutMs);
const hasCount = (l: Locator, n: number) => until(async () => expect(await l.count()).toBe(n));
const hasValue = (l: Locator, v: string) => until(async () => expect(await l.inputValue()).toBe(v));

const sha = (c: string) => `sha256:${c.repeat(64)}`;
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

function changeEvents(changeId: string): AuditEventInput[] {
  const resource = { kind: 'aws_db_instance', id: 'payments-db', environment: 'prod' };
  const base = { changeId, resource };
  return [
    { ...base, type: 'change.requested', occurredAt: minutesAgo(90), actor: { id: 'alice', type: 'user', roles: ['developer'], teams: ['payments'] }, reason: 'raise max_connections' },
    { ...base, type: 'plan.created', occurredAt: minutesAgo(85), actor: { id: 'terraform-ci', type: 'pipeline', roles: [], teams: [] }, plan: { digest: sha('a') } },
    { ...base, type: 'approval.granted', occurredAt: minutesAgo(70), actor: { id: 'bob', type: 'user', roles: ['sre-lead'], teams: ['sre'] }, plan: { digest: sha('a') } },
    {
      ...base,
      type: 'gate.decided',
      occurredAt: minutesAgo(65),
      actor: { id: 'approval-policy', type: 'service', roles: [], teams: [] },
      outcome: 'allowed',
      // The gate always records the plan it was asked about (POST /v1/gate's planDigest): only an allowed
      // gate for the plan that ran binds the artifact the deployment is judged against.
      plan: { digest: sha('a') },
      artifact: { digest: sha('b'), kind: 'container-image' },
      details: { policyId: 'prod-db', policyVersion: '3' },
    },
    { ...base, type: 'deployment.started', occurredAt: minutesAgo(30), actor: { id: 'deploy-bot', type: 'pipeline', roles: [], teams: [] }, artifact: { digest: sha('c'), kind: 'container-image' } },
    { ...base, type: 'deployment.failed', occurredAt: minutesAgo(25), actor: { id: 'deploy-bot', type: 'pipeline', roles: [], teams: [] }, artifact: { digest: sha('c'), kind: 'container-image' }, outcome: 'failed', reason: 'migration timed out' },
  ];
}

const otherEvents = (): AuditEventInput[] => [
  { type: 'config.changed', occurredAt: minutesAgo(10), actor: { id: 'carol', type: 'user', roles: [], teams: ['platform'] }, resource: { kind: 'service', id: 'checkout', environment: 'staging' }, reason: 'feature flag' },
  { type: 'config.changed', occurredAt: minutesAgo(5), actor: { id: 'carol', type: 'user', roles: [], teams: ['platform'] }, resource: { kind: 'service', id: 'cart', environment: 'staging' }, reason: 'timeout' },
];

/**
 * More events than the console's page of 50, spread over the last ~2.5 hours: the chart must count all of
 * them (from the search API's histogram), the table shows the first page only. `source:bulk-seed` keeps the
 * tenant's own audit.read events (every search is recorded) out of the count.
 */
const CONSOLE_PAGE_SIZE = 50;
const bulkEvents = (): AuditEventInput[] =>
  Array.from({ length: 70 }, (_, i) => ({
    type: i % 3 === 0 ? 'k8s.request' : 'config.changed',
    occurredAt: minutesAgo(5 + i * 2),
    actor: { id: 'bulk-bot', type: 'service', roles: [], teams: [] },
    resource: { kind: 'service', id: `svc-${i}`, environment: 'dev' },
    source: { system: 'bulk-seed' },
    ...(i % 3 === 0 ? {} : { outcome: i % 5 === 0 ? 'failed' : 'succeeded' }),
  }));

describe('web console in headless Chromium (real ledger, ingest, query)', () => {
  const ledger = new LedgerHarness();
  const prefix = `con${ledger.namespace}-events`;
  const tenant = aTenant('con');
  const otherTenant = aTenant('cox');
  const bulkTenant = aTenant('cob');
  const bulk = bulkEvents();
  const changeId = `CHG-console-${ledger.namespace}`;
  const seeded = changeEvents(changeId).length + otherEvents().length;
  let pool: Pool;
  let ingest: NestFastifyApplication;
  let query: NestFastifyApplication;
  let server: Server;
  let prodServer: Server;
  let context: BrowserContext;
  let page: Page;
  let base = '';
  let bundle = '';
  let profile = '';
  let exportDir = '';

  const listen = async (s: Server) => {
    await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  };

  async function emit(forTenant: string, events: AuditEventInput[]): Promise<void> {
    const key = await createApiKey(pool, { tenant: forTenant, sources: [], types: [] });
    const res = await ingest.inject({
      method: 'POST',
      url: '/v1/events:batch',
      payload: JSON.stringify({ events }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key.token}` },
    });
    expect(res.statusCode).toBe(202);
  }

  async function signIn(asTenant: string, role: string): Promise<void> {
    await page.goto(`${base}/#/search`);
    const signOut = page.getByRole('button', { name: 'Sign out' });
    if (await signOut.isVisible()) await signOut.click();
    await page.getByLabel('Tenant').fill(asTenant);
    await page.getByLabel('Role').selectOption(role);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await hasText(page.getByTestId('who'), `tenant ${asTenant}`);
  }

  /** The newest alert of a rule, once alerting in the query service has evaluated the events that fire it. */
  async function alertOf(ruleId: string): Promise<{ id: string; state: string }> {
    const token = await mintDevToken({ sub: 'test', tenant, roles: ['analyst'], groups: [] }, JWT);
    let found: { id: string; state: string } | undefined;
    await expectEventually(
      async () => {
        const res = await query.inject({ method: 'GET', url: `/v1/alerts?ruleId=${encodeURIComponent(ruleId)}`, headers: { authorization: `Bearer ${token}` } });
        expect(res.statusCode).toBe(200);
        found = (res.json() as { alerts: { id: string; state: string }[] }).alerts[0];
        expect(found).toBeDefined();
      },
      { timeoutMs: 45_000 },
    );
    return found!;
  }

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `console-${name}.png`), fullPage: true });

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install Debian's chromium with "bash apps/console/scripts/ensure-chromium.sh" (the test script runs it)`);
    }
    mkdirSync(SHOTS, { recursive: true });
    bundle = mkdtempSync(join(tmpdir(), 'console-bundle-'));
    execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(ROOT, 'apps/console/vite.config.mjs'), '--outDir', bundle, '--emptyOutDir'], { cwd: ROOT, stdio: 'pipe' });

    pool = createPool(process.env.DATABASE_URL ?? '', { max: 2 });
    await ledger.start();
    await ledger.app!.listen(0, '127.0.0.1');
    const logger = createLogger('console-test', 'warn');
    ingest = await createIngestApp(parseEnv(IngestEnv, { ...process.env, KAFKA_TOPIC_NAMESPACE: ledger.namespace, LOG_LEVEL: 'warn', INTAKE_ENABLED: 'false' }), logger);
    exportDir = mkdtempSync(join(tmpdir(), 'console-exports-'));
    const queryConfig = parseEnv(QueryEnv, {
      ...process.env,
      LOG_LEVEL: 'warn',
      KAFKA_TOPIC_NAMESPACE: ledger.namespace,
      OPENSEARCH_INDEX_PREFIX: prefix,
      QUERY_CONSUMER_GROUP_PREFIX: ledger.namespace,
      // Exports: bundles in a scratch directory, checkpoint keys from this test's ledger, jobs picked up quickly.
      EXPORT_DIR: exportDir,
      EXPORT_LEDGER_URL: await ledger.app!.getUrl(),
      EXPORT_POLL_MS: '200',
    });
    query = await createQueryApp(queryConfig, logger);
    await query.listen(0, '127.0.0.1');

    const consoleEnv = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', QUERY_URL: await query.getUrl(), LEDGER_URL: await ledger.app!.getUrl(), CONSOLE_STATIC_DIR: bundle };
    server = createConsoleServer(parseEnv(ConsoleEnv, consoleEnv), logger);
    base = await listen(server);
    prodServer = createConsoleServer(parseEnv(ConsoleEnv, { ...consoleEnv, NODE_ENV: 'production' }), logger);

    // The gate's decision is approval-policy's to assert: it reaches the ledger with the service credential,
    // between the approval and the deployment, as the service would publish it.
    const story = changeEvents(changeId);
    const gate = story.findIndex((e) => e.type === 'gate.decided');
    await emit(tenant, story.slice(0, gate));
    const at = new Date();
    await ledger.sendAsService([
      AcceptedEvent.parse({ ...story[gate], source: { system: 'approval-policy' }, tenant, id: uuidv7(at), receivedAt: at.toISOString(), provenance: serviceProvenance('approval-policy') }),
    ]);
    await emit(tenant, [...story.slice(gate + 1), ...otherEvents()]);
    await emit(bulkTenant, bulk);
    await emit(otherTenant, [{ type: 'config.changed', occurredAt: minutesAgo(3), actor: { id: 'mallory', type: 'user', roles: [], teams: [] }, resource: { kind: 'service', id: 'secret-svc', environment: 'prod' } }]);

    // Committed by the ledger, projected into OpenSearch and Postgres, and covered by a signed checkpoint.
    const token = await mintDevToken({ sub: 'test', tenant, roles: ['auditor'], groups: [] }, JWT);
    await expectEventually(
      async () => {
        const status = (await query.inject({ method: 'GET', url: '/v1/projections/status', headers: { authorization: `Bearer ${token}` } })).json();
        expect(status.opensearch.lastSeq).toBeGreaterThanOrEqual(seeded);
        expect(status.postgres.lastSeq).toBeGreaterThanOrEqual(seeded);
        const cp = (await ledger.app!.inject({ method: 'GET', url: '/v1/checkpoints', headers: { authorization: `Bearer ${token}` } })).json();
        expect(cp.size).toBeGreaterThanOrEqual(seeded);
      },
      { timeoutMs: 45_000 },
    );

    profile = mkdtempSync(join(tmpdir(), 'console-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1360, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
  }, 110_000);

  afterAll(async () => {
    await context?.close();
    await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
    const os = query?.get<OpenSearchClient>(OPENSEARCH);
    if (os) {
      const indices = await os.indices.get({ index: `${prefix}-*`, allow_no_indices: true, ignore_unavailable: true }).catch(() => undefined);
      const names = Object.keys(indices?.body ?? {});
      if (names.length > 0) await os.indices.delete({ index: names.join(',') }).catch(() => undefined);
      await os.indices.deleteIndexTemplate({ name: prefix }).catch(() => undefined);
    }
    await query?.close();
    await ingest?.close();
    await ledger.close();
    await pool?.end();
    for (const dir of [bundle, profile, exportDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('signs in, searches, shows a syntax error at its position, and refines by a facet', async () => {
    await page.goto(base);
    await seen(page.getByRole('heading', { name: 'Sign in to the audit ledger console' }));
    await shot('sign-in');
    await signIn(tenant, 'analyst');

    const query = page.getByLabel('Query', { exact: true });
    await query.fill('type:deployment.*');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await hasCount(page.locator('table.events tbody tr'), 2);

    await query.fill('actor:alice (env:prod');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const syntax = page.getByTestId('syntax-error');
    await hasText(syntax, 'Query syntax error at position');
    await hasAttr(query, 'aria-invalid', 'true');
    const position = Number(/position (\d+)/.exec((await syntax.textContent()) ?? '')?.[1]);
    expect(position).toBeGreaterThanOrEqual('actor:alice (env:prod'.length - 1);

    await query.fill('');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('button', { name: /^Refine to environment staging/ }).click();
    await hasValue(query, 'env:"staging"');
    await hasCount(page.locator('table.events tbody tr'), 2);
    await lacksText(page.locator('table.events tbody'), 'payments-db');
    await seen(page.getByRole('img', { name: /^Bar chart/ }));
    await hasText(page.getByTestId('chart-total'), '2');
    await shot('search');
  });

  it('opens an event and verifies its inclusion proof in the browser against the signed checkpoint', async () => {
    await page.getByLabel('Query', { exact: true }).fill(`type:deployment.failed change:${changeId}`);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('button', { name: /^Open event \d+ \(deployment\.failed\)/ }).click();
    const dialog = page.getByRole('dialog');
    await hasAttr(dialog.getByTestId('proof-verdict'), 'data-status', 'verified', 20_000);
    await hasText(dialog, 'Proof verified');
    await hasText(dialog, 'migration timed out');
    await hasText(dialog.getByTestId('event-seq'), /^\d+$/);
    await shot('event-proof');
    await page.keyboard.press('Escape');
    await hasCount(dialog, 0);
  });

  it('shows the change story with the artifact mismatch flagged and the failure, export disabled for an analyst', async () => {
    await page.goto(`${base}/#/changes/${encodeURIComponent(changeId)}`);
    await seen(page.getByRole('heading', { name: `Change ${changeId}` }));
    await hasAttr(page.getByTestId('verdict-artifact'), 'data-verdict', 'no');
    // Issue 15: the approval is emitted through an emitter API key without the `approvals` scope, so it is a
    // claim nobody trusted vouches for and is not counted. The gate.decided is approval-policy's (service
    // credential) and binds artifact b to plan a, but it records no resolved rule, so no policy judged the run.
    await hasAttr(page.getByTestId('verdict-approved'), 'data-verdict', 'no');
    await hasAttr(page.getByTestId('verdict-sod'), 'data-verdict', 'no_approvals');
    await hasText(page.getByTestId('verdict-policy'), 'none recorded');
    await hasAttr(page.getByTestId('approval-claim'), 'data-counted', 'false');
    await hasText(page.getByTestId('approval-claim'), 'not counted');
    await hasAttr(page.getByTestId('verdict-outcome'), 'data-verdict', 'failed');
    // The flag sits on the deployment's artifact (c), not on the gated one (b); the untrusted approval claim is
    // styled as a mismatch too, so the step is named rather than taking the first flagged line.
    const step = (type: string) => page.locator(`.timeline li[data-type="${type}"]`);
    await hasText(step('deployment.started').locator('.mismatch'), 'does not match the approved artifact');
    await hasText(step('deployment.failed').locator('.mismatch'), 'does not match the approved artifact');
    await hasCount(step('gate.decided').locator('.mismatch'), 0);
    // Who asserted each record, from its provenance: the emitter key for the approval, our gate service for the verdict.
    await hasText(step('approval.granted').getByTestId('asserted-by'), /^asserted by api_key \S+ \(auth api-key · via http-batch\)/);
    await hasText(step('gate.decided').getByTestId('asserted-by'), 'asserted by service approval-policy');
    await hasCount(page.locator('.timeline li'), 6);
    await hasText(page.locator('.timeline'), 'roles sre-lead');
    await hasAttr(page.getByRole('button', { name: 'Export change' }), 'aria-disabled', 'true');
    await hasText(page.locator('#export-why'), 'Exports need the auditor role');
    await shot('change-story');
  });

  it('charts events per hour by type and outcome over the whole selected range, beyond the loaded page', async () => {
    const token = await mintDevToken({ sub: 'test', tenant: bulkTenant, roles: ['analyst'], groups: [] }, JWT);
    await expectEventually(
      async () => {
        const res = await query.inject({ method: 'GET', url: '/v1/search?q=source:bulk-seed&size=1', headers: { authorization: `Bearer ${token}` } });
        expect(res.json().total.value).toBe(bulk.length);
      },
      { timeoutMs: 45_000 },
    );
    // What the chart must show, from the seeded timestamps: UTC hour → count, and the split totals.
    const perHour = new Map<string, number>();
    for (const e of bulk) {
      const hour = `${e.occurredAt.slice(5, 13).replace('T', ' ')}h`;
      perHour.set(hour, (perHour.get(hour) ?? 0) + 1);
    }
    const count = (f: (e: AuditEventInput) => boolean) => bulk.filter(f).length;
    expect(bulk.length).toBeGreaterThan(CONSOLE_PAGE_SIZE);

    await signIn(bulkTenant, 'analyst');
    await page.getByLabel('Time range').selectOption('24h');
    await page.getByLabel('Query', { exact: true }).fill('source:bulk-seed');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await hasCount(page.locator('table.events tbody tr'), CONSOLE_PAGE_SIZE);
    await seen(page.getByRole('button', { name: 'Load more' }));

    const chart = page.getByTestId('events-chart');
    await hasText(chart.locator('figcaption'), 'Events per hour over the selected range, by type (UTC)');
    await hasText(page.getByTestId('chart-total'), String(bulk.length));
    await seen(page.getByRole('img', { name: new RegExp(`^Bar chart, events per hour over the selected range: ${bulk.length} events in \\d+ hours`) }));
    await chart.getByText(/^Chart data/).click();
    const table = page.getByTestId('chart-data');
    const rows = async () => (await table.locator('tbody tr').allInnerTexts()).map((r) => r.split('\t').slice(0, 2));
    await until(async () => expect(await rows()).toEqual([...perHour.entries()].sort().map(([h, n]) => [h, String(n)])));
    const types = { 'config.changed': count((e) => e.type === 'config.changed'), 'k8s.request': count((e) => e.type === 'k8s.request') };
    await hasText(table.locator('tfoot'), new RegExp(`^All\\s+${bulk.length}\\s+${types['config.changed']}\\s+${types['k8s.request']}$`));
    await shot('search-chart');

    await page.getByRole('radio', { name: 'outcome' }).check();
    await hasText(chart.locator('figcaption'), 'Events per hour over the selected range, by outcome (UTC)');
    await hasText(page.getByTestId('chart-total'), String(bulk.length));
    const outcomes = { succeeded: count((e) => e.outcome === 'succeeded'), none: count((e) => e.outcome === undefined), failed: count((e) => e.outcome === 'failed') };
    const headers = (await table.locator('thead th').allInnerTexts()).slice(2);
    expect([...headers].sort()).toEqual(Object.keys(outcomes).sort());
    const footer = (await table.locator('tfoot td').allInnerTexts()).map(Number);
    expect(footer[0]).toBe(bulk.length);
    expect(Object.fromEntries(headers.map((h, i) => [h, footer[i + 1]]))).toEqual(outcomes);
    // Back to All time for the tests after this one.
    await page.getByLabel('Time range').selectOption('all');
  });

  it('shows ledger status to an auditor', async () => {
    await signIn(tenant, 'auditor');
    await page.goto(`${base}/#/ledger`);
    await hasText(page.getByTestId('checkpoint-signature'), '✓ Ed25519 signature by test-ledger-key');
    expect(Number(await page.getByTestId('checkpoint-size').textContent())).toBeGreaterThanOrEqual(seeded);
    await seen(page.getByTestId('projection-opensearch'));
    await shot('ledger-status');
  });

  const mismatchRow = () => page.locator('tr[data-rule-id="builtin.artifact-mismatch"]');
  const ruleId = 'console-staging-config';
  const ruleName = 'Staging config change by the console test';

  it('lists the artifact-mismatch alert to an analyst with its evidence, and offers no acknowledge or resolve', async () => {
    await alertOf('builtin.artifact-mismatch');
    await signIn(tenant, 'analyst');
    await page.goto(`${base}/#/alerts`);
    await seen(page.getByRole('heading', { name: 'Alerts' }));
    await hasAttr(mismatchRow(), 'data-state', 'firing');
    await hasText(mismatchRow(), 'Deployed artifact differs from the approved one');
    await hasText(mismatchRow(), 'critical');
    await seen(mismatchRow().getByRole('link', { name: `Change ${changeId}` }));
    await hasCount(mismatchRow().getByRole('button', { name: /^(Acknowledge|Resolve)/ }), 0);
    await hasText(page.getByTestId('alerts-readonly'), 'needs the auditor role');
    await hasCount(page.getByRole('link', { name: 'Alert rules' }), 0);

    // The evidence links to the change's events in the search.
    await mismatchRow().getByRole('link', { name: `Events of change ${changeId}` }).click();
    await hasValue(page.getByLabel('Query', { exact: true }), `change:"${changeId}"`);
    await hasText(page.locator('table.events tbody'), 'deployment.failed');
    await lacksText(page.locator('table.events tbody'), 'checkout');

    await page.goto(`${base}/#/rules`);
    await hasText(page.getByRole('alert'), 'needs the admin role');
  });

  it('lets an admin create a rule, refusing a bad one with each error beside its input', async () => {
    await signIn(tenant, 'admin');
    await page.getByRole('link', { name: 'Alert rules' }).click();
    await hasAttr(page.locator('tr[data-rule-id="builtin.artifact-mismatch"]'), 'data-version', '0');

    await page.getByLabel('Rule id').fill(ruleId);
    await page.getByLabel('Type', { exact: true }).selectOption('frequency');
    await page.getByLabel('Filter', { exact: true }).fill('actor:(');
    await page.getByLabel('Threshold', { exact: true }).fill('0');
    await page.getByLabel('Window', { exact: true }).fill('5 minutes');
    await page.getByRole('button', { name: 'Save rule' }).click();
    await hasText(page.getByTestId('rule-errors'), 'The alert rule is not valid');
    await hasText(page.getByTestId('rule-window-error'), 'must be a number followed by s, m, h or d');
    await hasText(page.getByTestId('rule-filter-error'), 'position');
    await hasText(page.getByTestId('rule-threshold-error'), /1/);
    await seen(page.getByTestId('rule-name-error'));
    await hasAttr(page.getByLabel('Window', { exact: true }), 'aria-invalid', 'true');
    expect(await page.getByLabel('Window', { exact: true }).getAttribute('aria-describedby')).toContain('rule-window-error');
    await shot('rules-invalid');
    await hasCount(page.locator(`tr[data-rule-id="${ruleId}"]`), 0);

    // A bad id is refused by the service (400) and shown beside the id.
    await page.getByLabel('Rule id').fill('Not An Id');
    await page.getByRole('button', { name: 'Check without saving' }).click();
    await hasText(page.getByTestId('rule-ruleId-error'), 'must match');

    await page.getByLabel('Rule id').fill(ruleId);
    await page.getByLabel('Type', { exact: true }).selectOption('match');
    await page.getByLabel('Name', { exact: true }).fill(ruleName);
    await page.getByLabel('Severity', { exact: true }).selectOption('high');
    await page.getByLabel('Filter', { exact: true }).fill('type:config.changed resource:console-alert-target');
    await page.getByRole('button', { name: 'Save rule' }).click();
    await hasText(page.getByTestId('rules-status'), `Rule ${ruleId} created — version 1`);
    await hasCount(page.getByTestId('rule-errors'), 0);
    await hasAttr(page.locator(`tr[data-rule-id="${ruleId}"]`), 'data-enabled', 'true');
    await shot('rules');
  });

  it('fires the new rule on an event sent through ingest; an auditor acknowledges, then resolves it', async () => {
    await emit(tenant, [{ type: 'config.changed', occurredAt: minutesAgo(1), actor: { id: 'dave', type: 'user', roles: [], teams: [] }, resource: { kind: 'service', id: 'console-alert-target', environment: 'staging' } }]);
    await alertOf(ruleId);

    await signIn(tenant, 'auditor');
    await page.goto(`${base}/#/alerts`);
    await page.getByLabel('Rule', { exact: true }).selectOption(ruleId);
    const row = page.locator(`tr[data-rule-id="${ruleId}"]`);
    await hasCount(row, 1);
    await hasAttr(row, 'data-state', 'firing');
    await hasText(row, ruleName);
    await shot('alerts');

    await row.getByRole('button', { name: `Acknowledge alert: ${ruleName}` }).click();
    await hasText(page.getByTestId('alerts-status'), `acknowledged by dev-auditor@${tenant}`);
    await hasAttr(row, 'data-state', 'acknowledged');
    await hasCount(row.getByRole('button', { name: /^Acknowledge/ }), 0);

    // The state filter asks the service again: the alert is acknowledged, no longer firing.
    await page.getByLabel('State').selectOption('firing');
    await hasText(page.getByTestId('alerts-status'), `0 alerts firing of rule ${ruleId}`);
    await page.getByLabel('State').selectOption('acknowledged');
    await hasAttr(row, 'data-state', 'acknowledged');

    await row.getByRole('button', { name: `Resolve alert: ${ruleName}` }).click();
    await hasText(page.getByTestId('alerts-status'), `resolved by dev-auditor@${tenant}`);
    await hasAttr(row, 'data-state', 'resolved');
    await row.getByRole('button', { name: 'Details' }).click();
    await hasText(page.getByTestId('alert-detail'), `by dev-auditor@${tenant}`);
  });

  it('shows the conflict the service answers when someone else acknowledged the alert first', async () => {
    const alert = await alertOf('builtin.artifact-mismatch');
    await page.goto(`${base}/#/alerts`);
    await page.getByLabel('State').selectOption('');
    await page.getByLabel('Rule', { exact: true }).selectOption('');
    await hasAttr(mismatchRow(), 'data-state', 'firing');

    // Another auditor acknowledges it while this page still shows it firing.
    const other = await mintDevToken({ sub: 'other-auditor', tenant, roles: ['auditor'], groups: [] }, JWT);
    const acked = await query.inject({ method: 'POST', url: `/v1/alerts/${encodeURIComponent(alert.id)}/ack`, headers: { authorization: `Bearer ${other}` } });
    expect(acked.statusCode).toBe(200);

    await mismatchRow().getByRole('button', { name: /^Acknowledge alert/ }).click();
    await hasText(page.getByTestId('alerts-error'), '409 Conflict — the alert is already acknowledged');
    await hasAttr(mismatchRow(), 'data-state', 'acknowledged');
    await shot('alerts-conflict');
  });

  it('exports the change for an auditor and downloads a bundle that verifies offline against the ledger key', async () => {
    await page.goto(`${base}/#/changes/${encodeURIComponent(changeId)}`);
    await seen(page.getByRole('heading', { name: `Change ${changeId}` }));
    await page.getByRole('button', { name: 'Export change' }).click();
    const status = page.getByTestId('export-status');
    await hasAttr(status, 'data-export-status', 'succeeded', 60_000);
    await hasText(status, 'Export ready');
    await shot('change-export');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /^Download bundle/ }).click()]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^audit-export-${tenant}-[0-9a-f-]+\\.tar\\.gz$`));
    const file = join(exportDir, `downloaded-${download.suggestedFilename()}`);
    await download.saveAs(file);
    const verdict = await verifyBundle(file, { trustedKeys: ledger.trustedKeys, tenant });
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);
    expect(verdict.records).toBe(changeEvents(changeId).length);
  });

  it('keeps a viewer out of auditor and analyst pages, and its proof is partial, not verified', async () => {
    await signIn(tenant, 'viewer');
    await hasCount(page.getByRole('link', { name: 'Ledger status' }), 0);
    await hasCount(page.getByRole('link', { name: 'Alerts' }), 0);
    await hasCount(page.getByRole('link', { name: 'Alert rules' }), 0);
    await page.goto(`${base}/#/alerts`);
    await hasText(page.getByRole('alert'), 'needs the analyst role');
    await page.goto(`${base}/#/ledger`);
    await seen(page.getByRole('heading', { name: 'Not available' }));
    await page.goto(`${base}/#/changes/${encodeURIComponent(changeId)}`);
    await hasText(page.getByRole('alert'), 'needs the analyst role');
    await shot('viewer-denied');
    // The services refuse it too, whatever the page does.
    const status = await page.evaluate(async () => {
      const token = (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('audit-console.session');
      return (await fetch('/api/query/v1/projections/status', { headers: { authorization: `Bearer ${token}` } })).status;
    });
    expect(status).toBe(403);
    await page.goto(`${base}/#/search`);
    await page.getByLabel('Query', { exact: true }).fill('type:deployment.failed');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('button', { name: /^Open event/ }).first().click();
    await hasAttr(page.getByTestId('proof-verdict'), 'data-status', 'partial', 20_000);
    await page.keyboard.press('Escape');
  });

  it('shows another tenant nothing of this one', async () => {
    await signIn(otherTenant, 'analyst');
    await hasText(page.locator('table.events tbody'), 'mallory');
    await lacksText(page.locator('table.events tbody'), 'payments-db');
    await page.goto(`${base}/#/alerts`);
    await hasText(page.getByTestId('alerts-status'), 'alert');
    await hasCount(mismatchRow(), 0);
    await hasCount(page.locator(`tr[data-rule-id="${ruleId}"]`), 0);
    await page.goto(`${base}/#/changes/${encodeURIComponent(changeId)}`);
    await hasText(page.getByRole('alert'), '404');
  });

  it('refuses the dev login in production', async () => {
    const prodBase = await listen(prodServer);
    try {
      const res = await fetch(`${prodBase}/dev-login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant, role: 'admin' }) });
      expect(res.status).toBe(404);
      expect((await fetch(`${base}/dev-login`, { method: 'POST', body: '{"tenant":"Bad Tenant","role":"root"}' })).status).toBe(400);
    } finally {
      await new Promise((ok) => prodServer.close(ok));
    }
  });
});
