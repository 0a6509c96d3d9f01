import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { parseEnv } from '@audit/config';
import type { CommittedRecord } from '@audit/contracts';
import { createKafka, KafkaPublisher } from '@audit/kafka';
import { createLogger } from '@audit/observability';
import { OpenSearchEventsProjector } from '../src/projections/opensearch/opensearch-events.projector';
import { QueryEnv } from '../src/config';
import { createQueryApp } from '../src/query.app';
import { OPENSEARCH, OpenSearchClient } from '@audit/service-shell';
import { ensureServiceCredential } from '@audit/testing';

/**
 * committed → searchable latency under a steady load: boots the query service (OpenSearch projector
 * only) on a throw-away topic namespace and index prefix, publishes CommittedRecords at `--rate` per
 * second for `--seconds`, and polls the highest searchable seq every 25 ms; an event's latency is the
 * first poll that sees it minus its publish time. Until the ledger lands this starts at the committed
 * topic, so it measures the query side of ingest → searchable.
 *
 *   node -r @swc-node/register apps/query/bench/searchable-latency.bench.ts --rate 1000 --seconds 30
 */
const { values } = parseArgs({ options: { rate: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '30' } } });
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);

async function main(): Promise<void> {
  ensureServiceCredential();
  const ns = `qbench-${randomBytes(3).toString('hex')}`;
  const prefix = `qbench${randomBytes(3).toString('hex')}-events`;
  const config = parseEnv(QueryEnv, { ...process.env, LOG_LEVEL: 'warn', KAFKA_TOPIC_NAMESPACE: ns, OPENSEARCH_INDEX_PREFIX: prefix, QUERY_CONSUMER_GROUP_PREFIX: ns, QUERY_PROJECTORS: 'opensearch' });
  const logger = createLogger('query-bench', 'warn');
  const app = await createQueryApp(config, logger);
  const publisher = new KafkaPublisher(createKafka({ brokers: config.KAFKA_BROKERS, clientId: ns, logger }), { namespace: ns });
  const client = app.get<OpenSearchClient>(OPENSEARCH);
  const tenant = 'bench-latency';
  const sentAt: number[] = [];
  const seenAt: number[] = [];
  let seq = 0;
  let polling = true;
  const poller = (async () => {
    let seen = 0;
    while (polling || seen < seq) {
      // No refresh here: an event counts as searchable when the index's own refresh has exposed it.
      const res = await client.search({ index: `${prefix}-*`, allow_no_indices: true, ignore_unavailable: true, body: { size: 0, aggs: { max: { max: { field: 'seq' } } } } })
        // The first index may still be allocating its shard: try again on the next poll.
        .catch(() => undefined);
      const last = (res?.body.aggregations as { max?: { value: number | null } } | undefined)?.max?.value ?? 0;
      const now = performance.now();
      for (let s = seen + 1; s <= last; s++) seenAt[s] = now;
      seen = Math.max(seen, last);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  const tickMs = 100;
  const perTick = Math.max(1, Math.round((RATE * tickMs) / 1000));
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    const tickStart = performance.now();
    const records: CommittedRecord[] = [];
    for (let i = 0; i < perTick; i++) records.push(record(tenant, ++seq));
    const t = performance.now();
    await publisher.publish('committed', records.map((r) => ({ key: tenant, value: r })));
    for (const r of records) sentAt[r.seq] = t;
    await new Promise((r) => setTimeout(r, Math.max(0, tickMs - (performance.now() - tickStart))));
  }
  polling = false;
  await poller;
  const latencies = sentAt.map((t, s) => seenAt[s]! - t).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const p = (q: number) => +latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)]!.toFixed(0);
  process.stdout.write(`${JSON.stringify({ events: seq, targetRate: RATE, seconds: SECONDS, committedToSearchableMs: { p50: p(0.5), p95: p(0.95), p99: p(0.99), max: p(1) } }, null, 2)}\n`);
  // Stop the projector before cleaning up, or its last batch would recreate the index.
  await publisher.disconnect();
  const cleanup = new OpenSearchClient({ node: config.OPENSEARCH_URL });
  await app.close();
  await new OpenSearchEventsProjector(cleanup, prefix, logger).dropTenant(tenant);
  await cleanup.indices.deleteIndexTemplate({ name: prefix });
  await cleanup.close();
}

function record(tenant: string, seq: number): CommittedRecord {
  const at = new Date().toISOString();
  const hex = randomBytes(32).toString('hex');
  return {
    event: {
      version: 1,
      type: 'deployment.started',
      occurredAt: at,
      actor: { id: 'ci', type: 'pipeline', roles: [], teams: [] },
      resource: { kind: 'k8s.deployment', id: `web-${seq % 50}`, environment: 'prod' },
      changeId: `CHG-${Math.floor(seq / 5)}`,
      artifact: { digest: `sha256:${hex}`, kind: 'container-image' },
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
