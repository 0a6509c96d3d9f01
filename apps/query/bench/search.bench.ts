import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import type { CommittedRecord } from '@audit/contracts';
import { documentId, indexName, indexTemplate, tenantIndexPattern, toDocument } from '../src/projections/opensearch/event-index';
import { parseQuery } from '@audit/query-language';
import { decodeCursor, encodeCursor } from '../src/search/search-events/search-cursor';
import { searchBody } from '../src/search/search-events/search-events.request';

/**
 * Search latency on a large ledger: bulk-loads N synthetic committed events into throw-away indices of
 * the production layout (template, per-tenant monthly indices, `_bulk`), then runs a mix of typical
 * queries through the same parser and DSL builder as `GET /v1/search` (tenant filter, sort, facets,
 * search_after) and prints p50/p95 per query and overall. Not a test: run it by hand.
 *
 *   node -r @swc-node/register apps/query/bench/search.bench.ts --events 1000000 [--tenants 1] [--runs 40] [--keep]
 */
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    tenants: { type: 'string', default: '1' },
    runs: { type: 'string', default: '40' },
    batch: { type: 'string', default: '5000' },
    prefix: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'skip-load': { type: 'boolean', default: false },
  },
});
const N = Number(values.events);
const TENANTS = Number(values.tenants);
const RUNS = Number(values.runs);
const BATCH = Number(values.batch);
const PREFIX = values.prefix ?? `bench${randomBytes(3).toString('hex')}-events`;
const client = new OpenSearchClient({ node: process.env.OPENSEARCH_URL ?? 'http://127.0.0.1:9200', requestTimeout: 120_000 });

const TYPES = ['change.requested', 'plan.created', 'approval.granted', 'gate.decided', 'deployment.started', 'deployment.succeeded', 'deployment.failed', 'config.changed', 'access.granted', 'k8s.request'] as const;
const ENVS = ['prod', 'staging', 'dev', 'qa'];
const KINDS = ['aws_db_instance', 'k8s.deployment', 'aws_iam_role', 'github.repo'];
const WORDS = ['raise', 'connection', 'pool', 'rotate', 'credentials', 'scale', 'replicas', 'rollback', 'hotfix', 'migrate', 'schema', 'upgrade', 'kernel', 'patch', 'certificate'];
const START = Date.parse('2025-12-01T00:00:00Z');
const SPAN = 365 * 24 * 3600 * 1000;

/** Deterministic pseudo-random numbers, so two runs load the same ledger. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}

function syntheticRecord(i: number, tenant: string, seq: number, r: () => number): CommittedRecord {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const type = pick(TYPES);
  const at = new Date(START + Math.floor((i / N) * SPAN)).toISOString();
  const hex = (n: number) => (i.toString(16) + 'a'.repeat(64)).slice(0, n);
  return {
    event: {
      version: 1,
      type,
      occurredAt: at,
      actor: { id: `user-${Math.floor(r() * 500)}`, type: 'user', roles: [pick(['developer', 'sre', 'approver'])], teams: [pick(['payments', 'platform', 'search'])] },
      resource: { kind: pick(KINDS), id: `${pick(['db', 'web', 'api', 'queue'])}-${Math.floor(r() * 200)}`, environment: pick(ENVS) },
      changeId: `CHG-${Math.floor(i / 6)}`,
      ...(type.startsWith('deployment.') ? { artifact: { digest: `sha256:${hex(64)}`, kind: 'container-image' } } : {}),
      ...(type === 'deployment.failed' ? { outcome: 'failed' as const } : type === 'deployment.succeeded' ? { outcome: 'succeeded' as const } : {}),
      reason: Array.from({ length: 6 }, () => pick(WORDS)).join(' '),
      details: { ticket: `OPS-${i % 10_000}`, attempt: i % 3 },
      tenant,
      id: `0190a000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`,
      receivedAt: at,
    },
    seq,
    recordedAt: at,
    leafHash: hex(64),
    hash: hex(64),
    prevHash: hex(64),
  } as CommittedRecord;
}

async function load(tenants: string[]): Promise<void> {
  const template = indexTemplate(PREFIX, { refreshInterval: '-1' });
  await client.indices.putIndexTemplate({ name: PREFIX, body: template as never });
  const r = rng(42);
  const seqs = new Map<string, number>();
  const t0 = performance.now();
  let inFlight: Promise<unknown>[] = [];
  for (let start = 0; start < N; start += BATCH) {
    const body: unknown[] = [];
    for (let i = start; i < Math.min(N, start + BATCH); i++) {
      const tenant = tenants[i % tenants.length]!;
      const seq = (seqs.get(tenant) ?? 0) + 1;
      seqs.set(tenant, seq);
      const rec = syntheticRecord(i, tenant, seq, r);
      body.push({ index: { _index: indexName(PREFIX, tenant, rec.event.occurredAt), _id: documentId(tenant, seq) } }, toDocument(rec));
    }
    inFlight.push(
      client.bulk({ body: body as never }).then((res) => {
        if (res.body.errors) throw new Error(`bulk errors: ${JSON.stringify(res.body.items.find((x) => Object.values(x)[0]?.error))}`);
      }),
    );
    if (inFlight.length >= 2) {
      await Promise.all(inFlight);
      inFlight = [];
    }
    if ((start / BATCH) % 40 === 0) process.stderr.write(`loaded ${start + BATCH} / ${N} (${Math.round((start + BATCH) / ((performance.now() - t0) / 1000))} events/s)\n`);
  }
  await Promise.all(inFlight);
  const loadS = (performance.now() - t0) / 1000;
  await client.indices.putSettings({ index: `${PREFIX}-*`, body: { index: { refresh_interval: '1s' } } });
  await client.indices.refresh({ index: `${PREFIX}-*` });
  process.stderr.write(`loaded ${N} events in ${loadS.toFixed(1)} s (${Math.round(N / loadS)} events/s via _bulk); merging segments…\n`);
  await client.indices.forcemerge({ index: `${PREFIX}-*`, max_num_segments: 1 });
}

const QUERIES = [
  '',
  'actor:user-17',
  'type:deployment.* env:prod',
  'resource:db-1* outcome:failed',
  'after:2026-03-01 before:2026-04-01 env:staging',
  '"connection pool"',
  'rollback hotfix',
  '-env:prod actor:user-3',
  'env:staging OR outcome:failed',
  'actor:user-42 (type:approval.granted OR type:gate.decided)',
  `change:CHG-${Math.floor(N / 12)}`,
];

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

async function timed(tenant: string, q: string, cursor?: string): Promise<{ ms: number; took: number; next?: string }> {
  const parsed = parseQuery(q);
  if (!parsed.ok) throw new Error(`${q}: ${parsed.error.message}`);
  const decoded = cursor ? decodeCursor(cursor, q) : undefined;
  const body = searchBody({ tenant, query: parsed.ast, size: 50, withDetails: true, ...(decoded?.ok ? { cursor: decoded.cursor } : {}) });
  const t = performance.now();
  const res = await client.search({ index: tenantIndexPattern(PREFIX, tenant), ignore_unavailable: true, allow_no_indices: true, body: body as never });
  const ms = performance.now() - t;
  const hits = res.body.hits.hits as unknown as { sort: [number, number] }[];
  const last = hits[hits.length - 1];
  return { ms, took: res.body.took, ...(last && hits.length === 50 ? { next: encodeCursor(last.sort[0], last.sort[1], q) } : {}) };
}

async function main(): Promise<void> {
  const tenants = Array.from({ length: TENANTS }, (_, i) => `bench-${i}`);
  if (!values['skip-load']) await load(tenants);
  const count = await client.count({ index: `${PREFIX}-*` });
  const tenant = tenants[0]!;
  for (const q of QUERIES) await timed(tenant, q);
  const all: number[] = [];
  const rows: { query: string; p50: number; p95: number; tookP50: number }[] = [];
  for (const q of [...QUERIES, '(page 2 of "")']) {
    const wall: number[] = [];
    const took: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = q === '(page 2 of "")' ? await timed(tenant, '', (await timed(tenant, '')).next) : await timed(tenant, q);
      wall.push(r.ms);
      took.push(r.took);
    }
    all.push(...wall);
    rows.push({ query: q || '(empty: newest events)', p50: +percentile(wall, 50).toFixed(1), p95: +percentile(wall, 95).toFixed(1), tookP50: percentile(took, 50) });
  }
  const report = {
    events: count.body.count,
    tenants: TENANTS,
    eventsInSearchedTenant: Math.ceil(N / TENANTS),
    runsPerQuery: RUNS,
    overall: { p50: +percentile(all, 50).toFixed(1), p95: +percentile(all, 95).toFixed(1), p99: +percentile(all, 99).toFixed(1) },
    perQuery: rows,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (!values.keep) {
    const indices = Object.keys((await client.indices.get({ index: `${PREFIX}-*` })).body);
    for (let i = 0; i < indices.length; i += 50) await client.indices.delete({ index: indices.slice(i, i + 50).join(',') });
    await client.indices.deleteIndexTemplate({ name: PREFIX });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
