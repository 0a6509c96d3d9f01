import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { topicName } from '@audit/contracts';
import { ensureTopics } from '@audit/kafka';
import { canonicalize, generateSigningKey } from '@audit/ledger-core';
import { verifyTenantLedger } from '@audit/ledger-store';
import { anAcceptedEvent, bootService, ensureServiceCredential } from '@audit/testing';
import { AppModule } from '../src/app.module';
import { LedgerEnv } from '../src/config';

/**
 * Ledger throughput, in one run on the same events: (1) events committed per second by the real writer
 * (Kafka → one transaction per batch → Postgres, sustained over N events already waiting on the topic),
 * (2) raw Postgres COPY of equivalent rows (psql \copy), (3) verification rate of the stored ledger.
 *   node -r @swc-node/register apps/ledger/bench/ledger.bench.ts [--events 100000] [--tenants 8] [--partitions 3] [--concurrency 1]
 * Needs the local infrastructure (npm run infra:up) and DATABASE_URL (default: database audit_test).
 */
function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  ensureServiceCredential();
  const events = arg('events', 100_000);
  const tenantCount = arg('tenants', 8);
  const partitions = arg('partitions', 3);
  const concurrency = arg('concurrency', 1);
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/audit_test';
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const namespace = `bench${randomBytes(3).toString('hex')}`;
  const tenants = Array.from({ length: tenantCount }, (_, i) => `bench-${namespace}-${i}`);
  const kafka = new Kafka({ clientId: 'ledger-bench', brokers, logLevel: logLevel.NOTHING });
  await ensureTopics(kafka, ['ingested', 'committed', 'checkpoints', 'dlq'].map((k) => ({ name: topicName(k as 'ingested', namespace) })), { partitions });

  const now = new Date();
  const batch = Array.from({ length: events }, (_, i) => anAcceptedEvent(tenants[i % tenantCount]!, {}, now));
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  for (let i = 0; i < batch.length; i += 1_000) {
    const slice = batch.slice(i, i + 1_000);
    await producer.send({
      topic: topicName('ingested', namespace),
      acks: -1,
      messages: slice.map((e) => ({ key: e.tenant, value: JSON.stringify(e) })),
    });
  }
  await producer.disconnect();
  const bytes = batch.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)), 0);

  const key = generateSigningKey('bench');
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  const started = process.hrtime.bigint();
  const app = await bootService(
    { service: 'ledger', env: LedgerEnv, module: (c, l) => AppModule.forRoot(c, l), uses: { postgres: true, kafka: true } },
    { DATABASE_URL: databaseUrl, KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC_NAMESPACE: namespace, LEDGER_SIGNING_KEY: key.privateKeyPem, LEDGER_KEY_NAME: 'bench', LEDGER_PARTITION_CONCURRENCY: String(concurrency) },
  );
  let committed = 0;
  while (committed < events) {
    await new Promise((r) => setTimeout(r, 100));
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM ledger.records WHERE tenant = ANY($1)', [tenants]);
    committed = Number(rows[0]?.n);
  }
  const commitSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  // Let the last checkpoint be signed before verifying against it.
  await new Promise((r) => setTimeout(r, 1_500));
  await app.close();

  const verifyStarted = process.hrtime.bigint();
  let verified = 0;
  for (const t of tenants) {
    const r = await verifyTenantLedger(pool, t, [key.verifierKey]);
    if (!r.ok) throw new Error(`verify failed for ${t}: ${JSON.stringify(r.firstFailure)}`);
    verified += r.rows;
  }
  const verifySeconds = Number(process.hrtime.bigint() - verifyStarted) / 1e9;

  const copySeconds = await rawCopy(databaseUrl, batch.map((e, i) => [e.tenant, String(i + 1), e.id, e.type, canonicalize({ ...e, seq: i + 1 })]));
  await pool.end();

  const rows = [
    ['events', String(events), `${tenantCount} tenants, ${(bytes / events).toFixed(0)} B/event avg, ${partitions} partitions, ${concurrency} appended at once`],
    ['ledger commit (Kafka → Postgres, hashed, chained)', `${Math.round(events / commitSeconds)} events/s`, `${commitSeconds.toFixed(2)} s incl. service start`],
    ['raw Postgres COPY of the same rows', `${Math.round(events / copySeconds)} rows/s`, `${copySeconds.toFixed(2)} s (psql \\copy, no hashing)`],
    ['commit / raw COPY', `${((copySeconds / commitSeconds) * 100).toFixed(0)} %`, ''],
    ['verify (leaf, chain, root, checkpoint signatures)', `${Math.round(verified / verifySeconds)} records/s`, `${verifySeconds.toFixed(2)} s`],
  ];
  process.stdout.write(`\nledger bench (${new Date().toISOString()}, ${cpus().length} cores, node ${process.version})\n`);
  for (const [a, b, c] of rows) process.stdout.write(`  ${a!.padEnd(52)} ${b!.padStart(18)}   ${c}\n`);
}

/** COPY FROM STDIN through psql: the raw speed of getting equivalent rows into Postgres. */
async function rawCopy(databaseUrl: string, rows: string[][]): Promise<number> {
  const table = `bench_copy_${randomBytes(4).toString('hex')}`;
  const psql = (input: string, sql: string) =>
    new Promise<void>((resolve, reject) => {
      const p = spawn('psql', [databaseUrl, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], { stdio: ['pipe', 'ignore', 'inherit'] });
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql exited ${code}`))));
      p.stdin.end(input);
    });
  await psql('', `CREATE UNLOGGED TABLE ${table} (tenant text, seq bigint, event_id uuid, type text, canonical text)`);
  const csv = rows.map((r) => r.map((v) => `"${v.replace(/"/g, '""')}"`).join(',')).join('\n');
  const started = process.hrtime.bigint();
  await psql(csv, `\\copy ${table} FROM STDIN WITH (FORMAT csv)`);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await psql('', `DROP TABLE ${table}`);
  return seconds;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`ledger bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
