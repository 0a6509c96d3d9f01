import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { verifyBundle } from '@audit/export-bundle';
import { verifyTenantLedger, writeLedgerExport } from '@audit/ledger-store';
import { drain } from './lib/drain';
import { LoadGenerator, type LoadResult } from './lib/load';
import { PipelineStack } from './lib/pipeline-stack';
import { rawKafkaProduce, rawOpenSearchBulk, rawPostgresCopy, rawRecords, type RawResult } from './lib/raw';
import { buildRuntime, infraUp, REPO_ROOT, versions, type ServiceName } from './lib/stack';
import { percentiles, round, table, type Percentiles } from './lib/stats';
import { Tracker } from './lib/tracker';

/**
 * `npm run bench [-- --quick]`: the whole pipeline (ingest → ledger → query) on the real Kafka, Postgres and
 * OpenSearch, and in the same run the raw limits of those parts on the same events. Prints a table and
 * writes bench/results/<date>.json. Options: see `--help` below; bench/README.md explains each figure.
 */
const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rate: { type: 'string', default: '5000' },
    seconds: { type: 'string' },
    batch: { type: 'string', default: '100' },
    'saturation-seconds': { type: 'string' },
    'saturation-batch': { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '8' },
    tenants: { type: 'string', default: '4' },
    'warmup-seconds': { type: 'string' },
    'raw-events': { type: 'string' },
    'search-events': { type: 'string', default: '0' },
    'search-runs': { type: 'string', default: '20' },
    'base-port': { type: 'string', default: '3391' },
    database: { type: 'string', default: 'audit_bench' },
    profile: { type: 'string', default: '' },
    runtime: { type: 'string', default: 'compiled' },
    'heap-mib': { type: 'string', default: '' },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  process.stdout.write(`usage: npm run bench -- [--quick] [--rate 5000] [--seconds 60] [--batch 100] [--saturation-seconds 30]
  [--saturation-batch 500] [--concurrency 8] [--tenants 4] [--warmup-seconds 10] [--raw-events 100000]
  [--search-events 1000000] [--search-runs 20] [--base-port 3391] [--database audit_bench] [--profile ledger,ingest] [--runtime compiled|source] [--heap-mib 160] [--out file]
`);
  process.exit(0);
}
const quick = opts.quick;
const num = (v: string | undefined, full: number, q: number) => Number(v ?? (quick ? q : full));
const RATE = Number(opts.rate);
const FIXED_S = num(opts.seconds, 60, 15);
const BATCH = Number(opts.batch);
const SAT_S = num(opts['saturation-seconds'], 30, 10);
const SAT_BATCH = Number(opts['saturation-batch']);
const CONCURRENCY = Number(opts.concurrency);
const WARMUP_S = num(opts['warmup-seconds'], 10, 3);
const RAW_EVENTS = num(opts['raw-events'], 100_000, 20_000);
const SEARCH_EVENTS = Number(opts['search-events']);
const SEARCH_RUNS = Number(opts['search-runs']);

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

async function main(): Promise<void> {
  const startedAt = new Date();
  log('infra up (deploy/local/infra.mjs)');
  const infra = infraUp();
  const profileDir = join(REPO_ROOT, '.local', 'bench', 'profiles');
  const profiled = opts.profile.split(',').filter(Boolean) as ServiceName[];
  if (opts.runtime !== 'compiled' && opts.runtime !== 'source') throw new Error('--runtime must be compiled or source');
  // The image runs compiled JavaScript (no compiler in memory); --runtime source runs the TypeScript through SWC as `npm start` does.
  const runtimeDir = opts.runtime === 'compiled' ? (log('compiling the services as the image does (deploy/docker/build-runtime.ts)'), buildRuntime()) : undefined;
  // --heap-mib caps each service's V8 old space (NODE_OPTIONS=--max-old-space-size), to see what memory they need.
  const heap = opts['heap-mib'] ? { NODE_OPTIONS: `--max-old-space-size=${Number(opts['heap-mib'])}` } : undefined;
  const stack = new PipelineStack({
    ...(runtimeDir ? { runtimeDir } : {}),
    ...(heap ? { env: { ingest: heap, 'approval-policy': heap, ledger: heap, query: heap } } : {}),
    infra,
    database: opts.database,
    basePort: Number(opts['base-port']),
    tenants: Number(opts.tenants),
    nodeFlags: Object.fromEntries(profiled.map((s) => [s, ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]])),
  });
  let stopped = false;
  const onSignal = () => {
    if (stopped) return;
    stopped = true;
    log('interrupted: stopping what the bench started');
    void stack.down().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    log(`stack up: namespace ${stack.namespace}, index prefix ${stack.indexPrefix}, database ${opts.database}`);
    await stack.up();
    const tracker = new Tracker(stack.tenants, stack.pool, stack.os, `${stack.indexPrefix}-*`);
    tracker.start();
    const load = new LoadGenerator(() => stack.services.ingest.url, stack.emitters, tracker, stack.run);

    log(`warm-up: ${WARMUP_S} s at ${Math.min(1000, RATE)} events/s (excluded)`);
    await load.openLoop('warmup', Math.min(1000, RATE), WARMUP_S, BATCH);
    await drain(tracker, 'warmup', 60_000);

    log(`fixed load: ${RATE} events/s offered, open loop, ${BATCH}/request, ${FIXED_S} s`);
    const fixed = await load.openLoop('fixed', RATE, FIXED_S, BATCH);
    const fixedDrain = await drain(tracker, 'fixed', 180_000);
    const fixedLat = tracker.latencies('fixed');

    log(`saturation: closed loop, ${CONCURRENCY} × ${SAT_BATCH}/request, ${SAT_S} s`);
    const sat = await load.closedLoop('saturation', CONCURRENCY, SAT_S, SAT_BATCH);
    const satDrain = await drain(tracker, 'saturation', 300_000);
    const satLat = tracker.latencies('saturation');
    const satLast = tracker.lastSeen('saturation');
    await tracker.stop();

    log('search through GET /v1/search on the bench ledger');
    const search = await searchViaApi(stack, SEARCH_RUNS);

    log('verify (libs/ledger-store verifyTenantLedger, as audit-ledger verify does)');
    const verify = await verifyAll(stack);
    const exported = await exportAll(stack);

    const rss = Object.fromEntries(Object.values(stack.services).map((s) => [s.name, round(s.peakRssBytes / 2 ** 20, 0)])) as Record<ServiceName, number>;
    await stack.stopServices();

    log(`raw limits on ${RAW_EVENTS} events of the same mix (services stopped)`);
    const records = rawRecords(stack.run, stack.tenants, RAW_EVENTS);
    // A failed raw step (shared infra restarted by someone else, say) must not throw away the pipeline figures.
    const guarded = async (name: string, step: () => Promise<RawResult>): Promise<RawResult> =>
      step().catch((error: unknown) => {
        log(`raw ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
        return { events: 0, seconds: 0, eventsPerSecond: Number.NaN };
      });
    const rawKafka = await guarded('kafka', () => rawKafkaProduce(infra.kafkaBrokers, `${stack.namespace}.raw`, records));
    const rawCopy = await guarded('copy', () => rawPostgresCopy(stack.databaseUrl, records));
    const rawBulk = await guarded('bulk', () => rawOpenSearchBulk(stack.os, stack.indexPrefix, `${stack.indexPrefix}raw`, records));
    const avgEventBytes = Math.round(records.reduce((a, r) => a + Buffer.byteLength(r.json), 0) / records.length);

    const searchAtScale = SEARCH_EVENTS > 0 ? searchBench(SEARCH_EVENTS, SEARCH_RUNS, infra.opensearchUrl) : undefined;
    const server = await serverVersions(stack);
    await stack.down().catch((error: unknown) => log(`cleanup: ${String(error)}`));

    const rate = (r: LoadResult) => Math.round(r.acceptedEvents / ((r.endedAt - r.startedAt) / 1000));
    const e2e = satLast.searchable > 0 ? Math.round(sat.acceptedEvents / ((satLast.searchable - sat.startedAt) / 1000)) : 0;
    const committedRate = satLast.committed > 0 ? Math.round(sat.acceptedEvents / ((satLast.committed - sat.startedAt) / 1000)) : 0;
    const lat = (xs: number[]): Percentiles => percentiles(xs);
    const report = {
      kind: quick ? 'quick' : 'full',
      startedAt: startedAt.toISOString(),
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
      machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryGiB: round(totalmem() / 2 ** 30, 1), sharedWithOtherWork: true },
      versions: { ...versions(), ...server },
      setup: { tenants: stack.tenants.length, avgEventBytes, batchPerRequest: BATCH, saturation: { concurrency: CONCURRENCY, batch: SAT_BATCH }, pollMs: 25, runtime: opts.runtime, serviceHeapMiB: opts['heap-mib'] ? Number(opts['heap-mib']) : null },
      fixedLoad: {
        offeredPerSecond: RATE,
        seconds: FIXED_S,
        sent: fixed.events,
        accepted: fixed.acceptedEvents,
        acceptedPerSecond: rate(fixed),
        errors: fixed.errors,
        drained: fixedDrain.drained,
        acceptMs: lat(fixed.acceptMs),
        ingestToCommittedMs: lat(fixedLat.committed),
        ingestToSearchableMs: lat(fixedLat.searchable),
        missing: { committed: fixedLat.missingCommitted, searchable: fixedLat.missingSearchable },
      },
      saturation: {
        seconds: SAT_S,
        sent: sat.events,
        accepted: sat.acceptedEvents,
        ingestAcceptedPerSecond: rate(sat),
        committedPerSecond: committedRate,
        endToEndPerSecond: e2e,
        errors: sat.errors,
        drained: satDrain.drained,
        acceptMs: lat(sat.acceptMs),
        ingestToCommittedMs: lat(satLat.committed),
        ingestToSearchableMs: lat(satLat.searchable),
      },
      raw: { kafkaProduce: rawKafka, postgresCopy: rawCopy, opensearchBulk: rawBulk },
      ratios: {
        endToEndToRawKafka: round(e2e / rawKafka.eventsPerSecond, 2),
        ingestToRawKafka: round(rate(sat) / rawKafka.eventsPerSecond, 2),
        committedToRawPostgresCopy: round(committedRate / rawCopy.eventsPerSecond, 2),
        endToEndToRawOpenSearchBulk: round(e2e / rawBulk.eventsPerSecond, 2),
      },
      search: { ...search, atScale: searchAtScale ?? { skipped: 'run with --search-events 1000000 (loads that many synthetic events into throw-away indices via apps/query/bench/search.bench.ts)' } },
      verify,
      export: exported,
      peakRssMiB: { ...rss, total: Object.values(rss).reduce((a, b) => a + b, 0) },
      duplicatesInLedger: tracker.duplicates,
      profiles: profiled.length ? profileDir : undefined,
    };
    const outDir = join(REPO_ROOT, 'bench', 'results');
    mkdirSync(outDir, { recursive: true });
    const out = opts.out ?? join(outDir, `${startedAt.toISOString().slice(0, 16).replace(/:/g, '')}Z${quick ? '-quick' : ''}.json`);
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`${render(report)}\nwritten to ${out}\n`);
  } catch (error) {
    if (!stopped) await stack.down().catch(() => undefined);
    throw error;
  }
}

type Report = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function render(r: Report): string {
  const p = (x: Percentiles) => [x.p50, x.p95, x.p99, x.max];
  return [
    `audit-ledger bench (${r.kind}) — ${r.machine.cores} cores ${r.machine.cpu}, node ${r.versions.node}, Kafka ${r.versions.kafka}, OpenSearch ${r.versions.opensearch}, ${r.versions.postgres}`,
    `runtime: ${r.setup.runtime} JavaScript; events: ${r.setup.tenants} tenants, mean ${r.setup.avgEventBytes} B/event (change lifecycles, plan.created with summaries, k8s.request, config/access)`,
    '',
    table([
      ['throughput', 'events/s', 'ratio to raw Kafka'],
      [`end-to-end sustained (saturation: searchable)`, r.saturation.endToEndPerSecond, r.ratios.endToEndToRawKafka],
      ['  ingest accepted (saturation)', r.saturation.ingestAcceptedPerSecond, r.ratios.ingestToRawKafka],
      ['  committed in ledger (saturation)', r.saturation.committedPerSecond, round(r.saturation.committedPerSecond / r.raw.kafkaProduce.eventsPerSecond, 2)],
      ['raw kafkajs produce (idempotent, acks=all)', r.raw.kafkaProduce.eventsPerSecond, 1],
      ['raw Postgres COPY (ledger.records shape)', r.raw.postgresCopy.eventsPerSecond, round(r.raw.postgresCopy.eventsPerSecond / r.raw.kafkaProduce.eventsPerSecond, 2)],
      ['raw OpenSearch _bulk (projector template)', r.raw.opensearchBulk.eventsPerSecond, round(r.raw.opensearchBulk.eventsPerSecond / r.raw.kafkaProduce.eventsPerSecond, 2)],
      ['verify (verifyTenantLedger)', r.verify.recordsPerSecond, ''],
    ]),
    '',
    table([
      ['latency ms (from scheduled send)', 'p50', 'p95', 'p99', 'max'],
      [`ingest→committed @ ${r.fixedLoad.offeredPerSecond}/s open loop`, ...p(r.fixedLoad.ingestToCommittedMs)],
      [`ingest→searchable @ ${r.fixedLoad.offeredPerSecond}/s open loop`, ...p(r.fixedLoad.ingestToSearchableMs)],
      [`  HTTP 202 @ ${r.fixedLoad.offeredPerSecond}/s`, ...p(r.fixedLoad.acceptMs)],
      ['ingest→committed at saturation', ...p(r.saturation.ingestToCommittedMs)],
      ['ingest→searchable at saturation', ...p(r.saturation.ingestToSearchableMs)],
      [`search GET /v1/search (${r.search.ledgerEvents} events)`, r.search.p50, r.search.p95, r.search.p99, ''],
      ...(r.search.atScale.overall ? [[`search at ${r.search.atScale.events} events`, r.search.atScale.overall.p50, r.search.atScale.overall.p95, r.search.atScale.overall.p99, '']] : []),
    ]),
    '',
    `fixed load: offered ${r.fixedLoad.offeredPerSecond}/s, accepted ${r.fixedLoad.acceptedPerSecond}/s (${r.fixedLoad.accepted}/${r.fixedLoad.sent}), errors ${JSON.stringify(r.fixedLoad.errors)}, drained ${r.fixedLoad.drained}`,
    `peak RSS MiB: ${Object.entries(r.peakRssMiB).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `export (writeLedgerExport, what audit-ledger export and POST /v1/exports run): ${r.export.recordsPerSecond} records/s (${r.export.records} records, ${r.export.bytes} bytes); offline verify-export: ${r.export.verifyRecordsPerSecond} records/s, ${r.export.ok ? 'all bundles verified' : `FAILED ${JSON.stringify(r.export.failures)}`}`,
    `duplicates in ledger: ${r.duplicatesInLedger}`,
  ].join('\n');
}

async function searchViaApi(stack: PipelineStack, runs: number) {
  const tenant = stack.tenants[0]!;
  const token = await stack.token(tenant, 'bench-analyst', ['analyst'], ['sre']);
  const queries = ['', 'type:deployment.* env:prod', 'actor:alice@example.com', 'type:k8s.request outcome:denied', '"connection pool"', 'env:staging OR outcome:failed', 'type:plan.created -env:dev'];
  const count = await stack.os.count({ index: `${stack.indexPrefix}-*` });
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    for (const q of queries) {
      const t0 = performance.now();
      const res = await fetch(`${stack.services.query.url}/v1/search?q=${encodeURIComponent(q)}&size=50`, { headers: { authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`search ${q}: HTTP ${res.status}`);
      if (i > 0) times.push(performance.now() - t0);
    }
  }
  const p = percentiles(times);
  return { ledgerEvents: count.body.count, searchedTenantShare: `1/${stack.tenants.length}`, queries: queries.length, runs, p50: p.p50, p95: p.p95, p99: p.p99 };
}

async function verifyAll(stack: PipelineStack) {
  let records = 0;
  const t0 = performance.now();
  const failures: string[] = [];
  for (const tenant of stack.tenants) {
    const res = await verifyTenantLedger(stack.pool, tenant, [stack.verifierKey]);
    if (!res.ok) failures.push(`${tenant}: ${JSON.stringify(res).slice(0, 300)}`);
    const { rows } = await stack.pool.query<{ n: string }>('SELECT count(*) AS n FROM ledger.records WHERE tenant = $1', [tenant]);
    records += Number(rows[0]?.n ?? 0);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { records, seconds: round(seconds, 2), recordsPerSecond: Math.round(records / seconds), ok: failures.length === 0, failures };
}

/** Exports every bench tenant's ledger to a bundle and verifies each offline: both rates. */
async function exportAll(stack: PipelineStack) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-export-'));
  const failures: string[] = [];
  let records = 0;
  let bytes = 0;
  let exportSeconds = 0;
  let verifySeconds = 0;
  try {
    for (const tenant of stack.tenants) {
      const out = join(dir, `${tenant}.tar.gz`);
      const t0 = performance.now();
      const result = await writeLedgerExport(
        stack.pool,
        {
          tenant,
          exportId: randomUUID(),
          now: new Date(),
          requestedBy: { id: 'bench', roles: [], via: 'cli' },
          request: {},
          trustedKeys: [stack.verifierKey],
          publicKeyPems: [],
        },
        out,
      );
      const t1 = performance.now();
      const verdict = await verifyBundle(out, { trustedKeys: [stack.verifierKey] });
      verifySeconds += (performance.now() - t1) / 1000;
      exportSeconds += (t1 - t0) / 1000;
      records += result.manifest.counts.records;
      bytes += result.bytes;
      if (!verdict.ok || verdict.records !== result.manifest.counts.records) failures.push(`${tenant}: ${JSON.stringify(verdict.problems.slice(0, 3))}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    records,
    bytes,
    seconds: round(exportSeconds, 2),
    recordsPerSecond: Math.round(records / exportSeconds),
    verifySeconds: round(verifySeconds, 2),
    verifyRecordsPerSecond: Math.round(records / verifySeconds),
    ok: failures.length === 0,
    failures,
  };
}

function searchBench(events: number, runs: number, opensearchUrl: string): unknown {
  log(`search at scale: apps/query/bench/search.bench.ts --events ${events}`);
  const res = spawnSync(process.execPath, ['-r', '@swc-node/register', join(REPO_ROOT, 'apps/query/bench/search.bench.ts'), '--events', String(events), '--runs', String(runs)], {
    cwd: REPO_ROOT,
    env: { ...process.env, OPENSEARCH_URL: opensearchUrl },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  });
  if (res.status !== 0) return { failed: `search.bench.ts exited ${res.status}` };
  return JSON.parse(res.stdout) as unknown;
}

async function serverVersions(stack: PipelineStack): Promise<Record<string, string>> {
  const os = await stack.os.info().catch(() => undefined);
  const pg = await stack.pool.query<{ v: string }>("SELECT current_setting('server_version') AS v").catch(() => undefined);
  return { kafka: '3.9.2 (deploy/local)', opensearch: String((os?.body as { version?: { number?: string } } | undefined)?.version?.number ?? 'unknown'), postgres: `PostgreSQL ${pg?.rows[0]?.v ?? 'unknown'}` };
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
