import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { topicName } from '@audit/contracts';
import { ensureTopics } from '@audit/kafka';
import { generateSigningKey } from '@audit/ledger-core';
import { verifyTenantLedger } from '@audit/ledger-store';
import { anEventInput, aTenant, expectEventually } from '@audit/testing';
import { createApiKey } from '../../cli/src/admin/api-keys.store';
import { freePort } from './ledger-harness';

const ROOT = join(__dirname, '..', '..', '..');
type Service = 'ingest' | 'ledger' | 'query';

/**
 * Scale-out under churn: two instances each of ingest, ledger and query in one consumer group per role,
 * with load running while instances are paused (SIGSTOP — a zombie that wakes up later), killed and
 * restarted, forcing rebalances. Afterwards every tenant's ledger holds each accepted event exactly once,
 * gapless, verifies, and both projections have caught up.
 */
describe('multi-instance ledger, ingest and query under rebalances', () => {
  const namespace = `mi${randomBytes(4).toString('hex')}`;
  const indexPrefix = `mi-${randomBytes(3).toString('hex')}`;
  const key = generateSigningKey('multi-instance');
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 3 });
  const os = new OpenSearchClient({ node: process.env.OPENSEARCH_URL });
  const procs: { service: Service; port: number; proc: ChildProcess }[] = [];
  const tenants = [aTenant('mi'), aTenant('mi'), aTenant('mi'), aTenant('mi')];
  const keys = new Map<string, string>();

  async function start(service: Service): Promise<{ service: Service; port: number; proc: ChildProcess }> {
    const port = await freePort();
    const proc = spawn(process.execPath, ['-r', '@swc-node/register', `apps/${service}/src/main.ts`], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        LOG_LEVEL: 'error',
        LEDGER_SESSION_TIMEOUT_MS: '8000',
        KAFKA_TOPIC_NAMESPACE: namespace,
        LEDGER_SIGNING_KEY: key.privateKeyPem,
        LEDGER_KEY_NAME: 'multi-instance',
        CHECKPOINT_INTERVAL_MS: '200',
        OPENSEARCH_INDEX_PREFIX: indexPrefix,
        QUERY_CONSUMER_GROUP_PREFIX: `${namespace}-query`,
        MIGRATE_ON_START: 'false',
        // Its ledger.verified events would add records to the logs this test counts exactly.
        LEDGER_VERIFY_ENABLED: 'false',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const entry = { service, port, proc };
    procs.push(entry);
    return entry;
  }

  async function ready(port: number): Promise<void> {
    await expectEventually(
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`);
        expect(res.status).toBe(200);
      },
      { timeoutMs: 150_000, intervalMs: 500 },
    );
  }

  const alive = (s: Service) => procs.filter((p) => p.service === s && p.proc.exitCode === null && p.proc.signalCode === null);

  afterAll(async () => {
    for (const p of procs) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
    await pool.end();
    const { body } = await os.indices.get({ index: `${indexPrefix}-*`, ignore_unavailable: true, allow_no_indices: true });
    for (const index of Object.keys(body)) await os.indices.delete({ index }).catch(() => undefined);
    await os.close();
  });

  it('keeps every tenant gapless, each event once, verifiable, with projections converged', async () => {
    const kafka = new Kafka({ clientId: 'mi', brokers: (process.env.KAFKA_BROKERS ?? '').split(','), logLevel: logLevel.NOTHING });
    await ensureTopics(
      kafka,
      (['intake', 'ingested', 'committed', 'checkpoints', 'dlq', 'alerts'] as const).map((k) => ({ name: topicName(k, namespace), partitions: 4 })),
    );
    for (const t of tenants) keys.set(t, (await createApiKey(pool, { tenant: t, sources: [], types: [] })).token);
    const services: Service[] = ['ingest', 'ingest', 'ledger', 'ledger', 'query', 'query'];
    const started = [];
    for (const s of services) started.push(await start(s));
    await Promise.all(started.map((p) => ready(p.port)));

    const accepted = new Map<string, string[]>(tenants.map((t) => [t, []]));
    let sending = true;
    let sent = 0;
    const load = (async () => {
      for (let i = 0; sending; i++) {
        const tenant = tenants[i % tenants.length]!;
        const body = JSON.stringify({ events: Array.from({ length: 10 }, () => anEventInput()) });
        const idempotencyKey = `mi-${i}`;
        sent += 10;
        // Like a real emitter: retry with the same idempotency key (on any instance) until accepted, so
        // the set of accepted events is known exactly even when an instance dies mid-request.
        for (let attempt = 0; attempt < 50; attempt++) {
          const target = alive('ingest')[(i + attempt) % Math.max(1, alive('ingest').length)];
          if (!target) break;
          try {
            const res = await fetch(`http://127.0.0.1:${target.port}/v1/events:batch`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.get(tenant)}`, 'idempotency-key': idempotencyKey },
              body,
            });
            if (res.status === 202) {
              accepted.get(tenant)!.push(...((await res.json()) as { ids: string[] }).ids);
              break;
            }
          } catch {
            // The instance died under us: try again elsewhere with the same key.
          }
          await new Promise((r) => setTimeout(r, 200));
        }
        await new Promise((r) => setTimeout(r, 40));
      }
    })();

    const pause = async (ms: number) => new Promise((r) => setTimeout(r, ms));
    // Churn: pause a ledger long enough for its partitions to move (session timeout 30 s is too long to
    // wait for here, so the pause is followed by a kill of the other instance to force the group to
    // rebalance onto it when it wakes), kill and restart instances of each role.
    const [ledgerA, ledgerB] = alive('ledger');
    ledgerA!.proc.kill('SIGSTOP');
    await pause(3_000);
    ledgerB!.proc.kill('SIGKILL');
    const ledgerC = await start('ledger');
    await ready(ledgerC.port);
    ledgerA!.proc.kill('SIGCONT');
    await pause(3_000);
    alive('ingest')[0]!.proc.kill('SIGKILL');
    const ingestC = await start('ingest');
    await ready(ingestC.port);
    alive('query')[0]!.proc.kill('SIGKILL');
    const queryC = await start('query');
    await ready(queryC.port);
    ledgerA!.proc.kill('SIGKILL');
    await pause(3_000);
    sending = false;
    await load;

    const totalAccepted = [...accepted.values()].reduce((n, ids) => n + ids.length, 0);
    expect(totalAccepted).toBeGreaterThan(200);
    await expectEventually(
      async () => {
        for (const t of tenants) {
          const { rows } = await pool.query<{ seq: string; event_id: string }>('SELECT seq, event_id FROM ledger.records WHERE tenant = $1 ORDER BY seq', [t]);
          expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
          expect(rows.map((r) => r.event_id).sort()).toEqual([...accepted.get(t)!].sort());
        }
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    for (const t of tenants) {
      await expectEventually(async () => {
        const r = await verifyTenantLedger(pool, t, [key.verifierKey]);
        expect({ ok: r.ok, first: r.firstFailure, signed: r.checkpointedSize }).toEqual({ ok: true, first: undefined, signed: accepted.get(t)!.length });
      });
    }
    await expectEventually(
      async () => {
        for (const t of tenants) {
          const n = accepted.get(t)!.length;
          const { rows } = await pool.query<{ last_seq: string }>("SELECT last_seq FROM query.projection_positions WHERE projection = 'postgres' AND tenant = $1", [t]);
          expect(Number(rows[0]?.last_seq)).toBe(n);
          await os.indices.refresh({ index: `${indexPrefix}-*` });
          const count = await os.count({ index: `${indexPrefix}-${t}_*`, body: { query: { term: { tenant: t } } } });
          expect(count.body.count).toBe(n);
        }
      },
      { timeoutMs: 150_000, intervalMs: 1_000 },
    );
    process.stdout.write(
      `multi-instance: sent ${sent}, accepted ${totalAccepted}, committed ${totalAccepted} (0 lost, 0 duplicated), ${procs.length} processes started\n`,
    );
  }, 600_000);
});
