import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { mintDevToken } from '@audit/auth';
import { parseEnv } from '@audit/config';
import { topicName, type CommittedRecord } from '@audit/contracts';
import { createPool } from '@audit/db';
import { createKafka, ensureTopics, KafkaPublisher } from '@audit/kafka';
import { createLogger } from '@audit/observability';
import { verifyWebhook } from '../src/alerting/notifications/webhook-signature';
import { QueryEnv } from '../src/config';
import { createQueryApp } from '../src/query.app';
import { ensureServiceCredential } from '@audit/testing';

/**
 * committed → webhook-received latency under a steady load: boots the query service with alerting on a
 * throw-away topic namespace and consumer groups, creates a match rule that fires (a new alert, so a
 * new webhook) for every event, publishes CommittedRecords on the committed topic at `--rate` per
 * second for `--seconds` (the moment the ledger would publish them), and receives the signed webhooks on
 * 127.0.0.1, checking every signature. Latency = receipt − publish, per event (joined by seq).
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/audit_test \
 *   node -r @swc-node/register apps/query/bench/alert-latency.bench.ts --rate 50 --seconds 20
 */
const { values } = parseArgs({ options: { rate: { type: 'string', default: '50' }, seconds: { type: 'string', default: '20' } } });
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);

async function main(): Promise<void> {
  ensureServiceCredential();
  const ns = `abench-${randomBytes(3).toString('hex')}`;
  const tenant = `bench-alert-${randomBytes(3).toString('hex')}`;
  const secret = randomBytes(32).toString('hex');
  const config = parseEnv(QueryEnv, {
    ...process.env,
    LOG_LEVEL: 'warn',
    KAFKA_TOPIC_NAMESPACE: ns,
    QUERY_CONSUMER_GROUP_PREFIX: ns,
    QUERY_PROJECTORS: 'postgres',
    ALERT_SCHEDULE_INTERVAL_MS: '0',
  });
  const logger = createLogger('query-bench', 'warn');
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: ns, logger });
  await ensureTopics(kafka, (['committed', 'ingested', 'alerts', 'checkpoints', 'dlq'] as const).map((k) => ({ name: topicName(k, ns) })));

  const sentAt = new Map<number, number>();
  const receivedAt = new Map<number, number>();
  let badSignatures = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = performance.now();
      const body = Buffer.concat(chunks).toString('utf8');
      const ok = verifyWebhook(secret, { signature: req.headers['x-signature'] as string, timestamp: req.headers['x-signature-timestamp'] as string }, body, Math.floor(Date.now() / 1000));
      if (!ok) badSignatures++;
      for (const seq of (JSON.parse(body) as { matchedSeqs: number[] }).matchedSeqs) if (!receivedAt.has(seq)) receivedAt.set(seq, now);
      res.writeHead(ok ? 204 : 401).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

  const app = await createQueryApp(config, logger);
  const token = await mintDevToken({ sub: 'bench', tenant, roles: ['admin'], groups: [] }, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, hmacSecret: config.JWT_DEV_SECRET });
  const put = (path: string, body: unknown) =>
    app.inject({ method: 'PUT', url: path, payload: JSON.stringify(body), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  if ((await put('/v1/alert-channels/bench', { url, format: 'json', secret })).statusCode !== 200) throw new Error('could not create the channel');
  const rule = await put('/v1/alert-rules/bench-grants', { type: 'match', name: 'cluster-admin grant', filter: 'type:access.granted role:cluster-admin', groupBy: 'resource', notify: ['bench'] });
  if (rule.statusCode !== 201) throw new Error(`could not create the rule: ${rule.body}`);

  const publisher = new KafkaPublisher(kafka, { namespace: ns });
  // Warm-up: the consumer group join takes seconds after boot; measure the steady state, not the join.
  let seq = 0;
  await publisher.publish('committed', [{ key: tenant, value: record(tenant, ++seq) }]);
  while (!receivedAt.has(seq)) await new Promise((r) => setTimeout(r, 50));
  receivedAt.clear();
  const warmup = seq;
  const tickMs = 100;
  const perTick = Math.max(1, Math.round((RATE * tickMs) / 1000));
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    const tickStart = performance.now();
    const records: CommittedRecord[] = [];
    for (let i = 0; i < perTick; i++) records.push(record(tenant, ++seq));
    await publisher.publish('committed', records.map((r) => ({ key: tenant, value: r })));
    const t = performance.now();
    for (const r of records) sentAt.set(r.seq, t);
    await new Promise((r) => setTimeout(r, Math.max(0, tickMs - (performance.now() - tickStart))));
  }
  const deadline = performance.now() + 60_000;
  while (receivedAt.size < seq - warmup && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));

  const latencies = [...sentAt].flatMap(([s, t]) => (receivedAt.has(s) ? [receivedAt.get(s)! - t] : [])).sort((a, b) => a - b);
  const p = (q: number) => +latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)]!.toFixed(0);
  process.stdout.write(
    `${JSON.stringify({ events: seq - warmup, webhooksReceived: receivedAt.size, badSignatures, targetRate: RATE, seconds: SECONDS, committedToWebhookMs: { p50: p(0.5), p95: p(0.95), p99: p(0.99), max: p(1) } }, null, 2)}\n`,
  );

  await publisher.disconnect();
  await app.close();
  server.close();
  // The throw-away tenant's rows: only this benchmark wrote them.
  const clean = createPool(config.DATABASE_URL, { max: 1 });
  for (const table of ['alert_outbox', 'alerts', 'alert_rule_state', 'alert_positions', 'alert_rules', 'alert_channels', 'alert_change_events', 'projection_positions']) {
    await clean.query(`DELETE FROM query.${table} WHERE tenant = $1`, [tenant]);
  }
  await clean.end();
}

function record(tenant: string, seq: number): CommittedRecord {
  const at = new Date().toISOString();
  const hex = randomBytes(32).toString('hex');
  return {
    event: {
      version: 1,
      type: 'access.granted',
      occurredAt: at,
      actor: { id: 'mallory', type: 'user', roles: ['cluster-admin'], teams: [] },
      resource: { kind: 'k8s.clusterrolebinding', id: `binding-${seq}`, environment: 'staging' },
      access: { principal: 'mallory', role: 'cluster-admin' },
      tenant,
      id: `0190a000-0000-7000-8000-${seq.toString(16).padStart(12, '0')}`,
      receivedAt: at,
    },
    seq,
    recordedAt: at,
    leafHash: hex,
    hash: hex,
    prevHash: hex,
  };
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
