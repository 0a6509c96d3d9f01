import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { uuidv7, type AcceptedEvent } from '@audit/contracts';
import { createPool } from '@audit/db';
import { createKafka, ensureTopics } from '@audit/kafka';
import { canonicalize, chainHash, hashLeaf } from '@audit/ledger-core';
import { createLogger } from '@audit/observability';
import { EventMix } from './events';

/** The same traffic as the pipeline gets, as accepted events, with what the ledger would store for each. */
export interface RawRecord {
  event: AcceptedEvent;
  json: string;
  seq: number;
  canonical: string;
  leafHash: Buffer;
  hash: Buffer;
  prevHash: Buffer;
}

export function rawRecords(run: string, tenants: string[], count: number): RawRecord[] {
  const mixes = tenants.map((_, i) => new EventMix(`${run}-raw-${i}`));
  const heads: { seq: number; hash: Buffer }[] = tenants.map(() => ({ seq: 0, hash: Buffer.alloc(32) }));
  const out: RawRecord[] = [];
  const now = new Date();
  for (let n = 0; n < count; n++) {
    const t = n % tenants.length;
    const event = { version: 1, ...mixes[t]!.next(n, now), tenant: tenants[t]!, id: uuidv7(now), receivedAt: now.toISOString() } as AcceptedEvent;
    const canonical = canonicalize(event);
    const leafHash = hashLeaf(Buffer.from(canonical));
    const head = heads[t]!;
    const seq = ++head.seq;
    const hash = chainHash(head.hash, leafHash, seq);
    out.push({ event, json: JSON.stringify(event), seq, canonical, leafHash, hash, prevHash: head.hash });
    head.hash = hash;
  }
  return out;
}

export interface RawResult {
  events: number;
  seconds: number;
  eventsPerSecond: number;
}

const result = (events: number, t0: number): RawResult => {
  const seconds = (performance.now() - t0) / 1000;
  return { events, seconds: +seconds.toFixed(2), eventsPerSecond: Math.round(events / seconds) };
};

/** kafkajs straight to a topic with the publisher's settings (idempotent, acks=all), 500 per send, 8 sends in flight. */
export async function rawKafkaProduce(brokers: string, topic: string, records: RawRecord[]): Promise<RawResult> {
  const kafka = createKafka({ brokers: brokers.split(','), clientId: `${topic}-raw`, logger: createLogger('bench', 'error') });
  await ensureTopics(kafka, [{ name: topic }]);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const batches: RawRecord[][] = [];
  for (let i = 0; i < records.length; i += 500) batches.push(records.slice(i, i + 500));
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        await producer.send({ topic, acks: -1, messages: batch.map((r) => ({ key: r.event.tenant, value: r.json })) });
      }
    }),
  );
  const res = result(records.length, t0);
  await producer.disconnect();
  return res;
}

/** `COPY … FROM STDIN` (through psql) into a table shaped like ledger.records, indexes included. */
export async function rawPostgresCopy(databaseUrl: string, records: RawRecord[]): Promise<RawResult> {
  const pool = createPool(databaseUrl, { max: 1 });
  const table = 'public.bench_raw_records';
  try {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.query(`CREATE TABLE ${table} (LIKE ledger.records INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)`);
    const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
    const hex = (b: Buffer) => `\\\\x${b.toString('hex')}`;
    const lines = records.map((r) =>
      [r.event.tenant, r.seq, r.event.id, r.event.type, r.event.changeId ? esc(r.event.changeId) : '\\N', esc(r.canonical), hex(r.leafHash), hex(r.hash), hex(r.prevHash), r.event.receivedAt].join('\t'),
    );
    const data = `${lines.join('\n')}\n`;
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const psql = spawn('psql', [databaseUrl, '-v', 'ON_ERROR_STOP=1', '-qc', `COPY ${table} (tenant, seq, event_id, type, change_id, canonical, leaf_hash, hash, prev_hash, recorded_at) FROM STDIN`], { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      psql.stderr.on('data', (d: Buffer) => (err += d.toString()));
      psql.on('error', reject);
      psql.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql COPY failed: ${err}`))));
      psql.stdin.end(data);
    });
    return result(records.length, t0);
  } finally {
    await pool.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await pool.end();
  }
}

/**
 * `_bulk` of the documents the OpenSearch projector would write, 1 000 per request, 2 in flight, into indices
 * made from the query service's own template (fetched, so the mapping is exactly the projector's).
 */
export async function rawOpenSearchBulk(os: OpenSearchClient, projectorTemplate: string, rawPrefix: string, records: RawRecord[]): Promise<RawResult> {
  const got = await os.indices.getIndexTemplate({ name: projectorTemplate });
  const template = (got.body as { index_templates: { index_template: Record<string, unknown> }[] }).index_templates[0]!.index_template;
  await os.indices.putIndexTemplate({ name: rawPrefix, body: { ...template, index_patterns: [`${rawPrefix}-*`], priority: 101 } as never });
  const month = (at: string) => `${at.slice(0, 4)}.${at.slice(5, 7)}`;
  const bodies: unknown[][] = [];
  for (let i = 0; i < records.length; i += 1000) {
    bodies.push(
      records.slice(i, i + 1000).flatMap((r) => [
        { index: { _index: `${rawPrefix}-${r.event.tenant}_${month(r.event.occurredAt)}`, _id: `${r.event.tenant}:${r.seq}` } },
        { ...r.event, seq: r.seq, recordedAt: r.event.receivedAt, hash: r.hash.toString('hex'), prevHash: r.prevHash.toString('hex'), leafHash: r.leafHash.toString('hex') },
      ]),
    );
  }
  try {
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 2 }, async () => {
        while (next < bodies.length) {
          const res = await os.bulk({ body: bodies[next++] as never });
          if (res.body.errors) throw new Error(`bulk errors: ${JSON.stringify(res.body.items.find((x) => Object.values(x)[0]?.error))}`);
        }
      }),
    );
    await os.indices.refresh({ index: `${rawPrefix}-*` });
    return result(records.length, t0);
  } finally {
    await os.indices.delete({ index: `${rawPrefix}-*`, ignore_unavailable: true, allow_no_indices: true } as never).catch(() => undefined);
    await os.indices.deleteIndexTemplate({ name: rawPrefix }).catch(() => undefined);
  }
}
