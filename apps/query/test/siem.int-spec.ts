import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { parseEnv } from '@audit/config';
import { AcceptedEvent, topicName, type CommittedRecord } from '@audit/contracts';
import { createPool, type Pool } from '@audit/db';
import { createKafka, KafkaPublisher, type Kafka } from '@audit/kafka';
import { createLogger } from '@audit/observability';
import { KAFKA, PG_POOL } from '@audit/service-shell';
import { anAcceptedEvent, aTenant, expectEventually } from '@audit/testing';
import { QueryEnv, type QueryConfig } from '../src/config';
import { createQueryApp } from '../src/query.app';
import { SiemSinks } from '../src/siem/siem-sinks';

type Mode = { kind: 'ok'; delayMs?: number } | { kind: 'status'; status: number; retryAfter?: string; body?: string };

interface Received {
  at: number;
  path: string;
  headers: IncomingMessage['headers'];
  lines: Record<string, unknown>[];
  answered: number;
}

/**
 * A loopback SIEM receiver: records every request (decompressed, one JSON object per line) and answers as
 * the test says per path — 200, a failure status, or nothing at all (closed: connection refused).
 */
class Receiver {
  readonly requests: Received[] = [];
  readonly modes = new Map<string, Mode>();
  private server: Server | undefined;
  port = 0;

  async open(): Promise<void> {
    this.server = createServer((req, res) => void this.answer(req, res));
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Stops listening and drops kept-alive connections: the sink now gets ECONNREFUSED. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Lines acknowledged (2xx) on a path. */
  acknowledged(path: string): Record<string, unknown>[] {
    return this.requests.filter((r) => r.path === path && r.answered === 200).flatMap((r) => r.lines);
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: Buffer = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    const path = req.url ?? '/';
    const mode = this.modes.get(path) ?? { kind: 'ok' };
    const lines = body.toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const entry: Received = { at: Date.now(), path, headers: req.headers, lines, answered: 0 };
    this.requests.push(entry);
    if (mode.kind === 'ok') {
      if (mode.delayMs) await new Promise((r) => setTimeout(r, mode.delayMs));
      entry.answered = 200;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"Success","code":0}');
      return;
    }
    entry.answered = mode.status;
    res.writeHead(mode.status, { 'content-type': 'application/json', ...(mode.retryAfter ? { 'retry-after': mode.retryAfter } : {}) }).end(mode.body ?? '{"text":"Server is busy","code":9}');
  }
}

const HEC = '/services/collector/event';
const HOOK = '/hook';
const TOKEN = `hec-${randomBytes(8).toString('hex')}`;

/** The query service with two SIEM sinks and no projectors, on its own namespace and consumer groups. */
class SiemHarness {
  readonly ns = `siem-${randomBytes(4).toString('hex')}`;
  readonly tenantA = aTenant('sa');
  readonly tenantB = aTenant('sb');
  /** Never configured in any sink: its records must not be sent anywhere. */
  readonly outsider = aTenant('so');
  readonly receiver = new Receiver();
  app: NestFastifyApplication | undefined;
  config!: QueryConfig;
  private publisher: KafkaPublisher | undefined;
  private readonly seqs = new Map<string, number>();

  async start(): Promise<void> {
    if (this.receiver.port === 0) await this.receiver.open();
    const sinks = [
      { name: 'hec', format: 'splunk-hec', url: `http://127.0.0.1:${this.receiver.port}`, token: TOKEN, tenants: [this.tenantA, this.tenantB], index: 'audit', batchMaxEvents: 5, retryBaseMs: 50, retryMaxMs: 400, timeoutMs: 2_000 },
      { name: 'lake', format: 'ndjson', url: this.receiver.url(HOOK), tenants: [this.tenantA, this.tenantB], gzip: true, batchMaxEvents: 50, retryBaseMs: 50, retryMaxMs: 400, rejectedRetryMs: 300, timeoutMs: 2_000 },
    ];
    const config = (this.config = parseEnv(QueryEnv, {
      ...process.env,
      LOG_LEVEL: 'warn',
      KAFKA_TOPIC_NAMESPACE: this.ns,
      QUERY_CONSUMER_GROUP_PREFIX: this.ns,
      QUERY_PROJECTORS: ',',
      ALERTING_ENABLED: 'false',
      SIEM_SINKS: JSON.stringify(sinks),
      SIEM_LAG_INTERVAL_MS: '200',
      // The receiver runs on loopback, which the outbound policy refuses unless the operator allows it.
      OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32',
    }));
    this.app = await createQueryApp(config, createLogger('query', 'silent'));
    this.publisher ??= new KafkaPublisher(this.app.get<Kafka>(KAFKA), { namespace: this.ns });
  }

  /** Closes the app the way SIGTERM does (consumers drain, the request in flight is abandoned). */
  async stopApp(): Promise<void> {
    await this.app?.close();
    this.app = undefined;
  }

  get pool(): Pool {
    return this.app!.get<Pool>(PG_POOL);
  }

  /** Publishes `count` committed records of a tenant (gapless seq), as the ledger does. */
  async commit(tenant: string, count: number): Promise<CommittedRecord[]> {
    const records: CommittedRecord[] = [];
    for (let i = 0; i < count; i++) {
      const seq = (this.seqs.get(tenant) ?? 0) + 1;
      this.seqs.set(tenant, seq);
      const event = AcceptedEvent.parse(anAcceptedEvent(tenant, { changeId: `CHG-${seq}` }));
      records.push({ event, seq, recordedAt: new Date().toISOString(), leafHash: randomBytes(32).toString('hex'), hash: randomBytes(32).toString('hex'), prevHash: randomBytes(32).toString('hex') });
    }
    await this.publisher!.publish('committed', records.map((r) => ({ key: r.event.tenant, value: r })));
    return records;
  }

  committed(tenant: string): number {
    return this.seqs.get(tenant) ?? 0;
  }

  async position(sink: string, tenant: string): Promise<number> {
    const { rows } = await this.pool.query<{ last_seq: string }>('SELECT last_seq FROM query.siem_positions WHERE sink = $1 AND topic = $2 AND tenant = $3', [sink, topicName('committed', this.ns), tenant]);
    return Number(rows[0]?.last_seq ?? 0);
  }

  async metric(name: string, labels: Record<string, string>): Promise<number[]> {
    const res = await this.app!.inject({ method: 'GET', url: '/metrics' });
    return res.body
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
      .map((l) => Number(l.split(' ').at(-1)));
  }

  async stop(): Promise<void> {
    if (this.app) await this.pool.query('DELETE FROM query.siem_positions WHERE topic = $1', [topicName('committed', this.ns)]);
    await this.publisher?.disconnect();
    await this.stopApp();
    await this.receiver.close();
  }
}

/** seqs of one tenant among received lines, HEC events or bare records alike. */
function seqsOf(lines: Record<string, unknown>[], tenant: string): number[] {
  return lines
    .map((l) => ((l.event as { event?: unknown }).event ? (l.event as CommittedRecord) : (l as unknown as CommittedRecord)))
    .filter((r) => r.event.tenant === tenant)
    .map((r) => r.seq);
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('SIEM sinks (real Kafka and Postgres, loopback HEC and NDJSON receivers)', () => {
  const h = new SiemHarness();

  beforeAll(async () => {
    await h.start();
  }, 60_000);

  afterAll(() => h.stop(), 60_000);

  it('delivers every committed record of its tenants, in HEC shape with the token, and as gzipped NDJSON', async () => {
    const a = await h.commit(h.tenantA, 12);
    const b = await h.commit(h.tenantB, 3);
    await h.commit(h.outsider, 4);
    await expectEventually(
      () => {
        expect(new Set(seqsOf(h.receiver.acknowledged(HEC), h.tenantA))).toEqual(new Set(range(1, 12)));
        expect(new Set(seqsOf(h.receiver.acknowledged(HEC), h.tenantB))).toEqual(new Set(range(1, 3)));
        expect(new Set(seqsOf(h.receiver.acknowledged(HOOK), h.tenantA))).toEqual(new Set(range(1, 12)));
      },
      { timeoutMs: 45_000, intervalMs: 200 },
    );
    const hecRequests = h.receiver.requests.filter((r) => r.path === HEC);
    for (const r of hecRequests) {
      expect(r.headers.authorization).toBe(`Splunk ${TOKEN}`);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.lines.length).toBeLessThanOrEqual(5);
    }
    const line = h.receiver.acknowledged(HEC).find((l) => (l.fields as { tenant: string; seq: number }).tenant === h.tenantA && (l.fields as { seq: number }).seq === 3)!;
    expect(Object.keys(line).sort()).toEqual(['event', 'fields', 'index', 'source', 'sourcetype', 'time']);
    expect(line).toEqual({
      time: Date.parse(a[2]!.event.occurredAt) / 1000,
      source: 'audit-ledger',
      sourcetype: 'audit-ledger:committed',
      index: 'audit',
      fields: { tenant: h.tenantA, seq: 3, hash: a[2]!.hash, eventId: a[2]!.event.id },
      event: a[2],
    });
    const hook = h.receiver.requests.filter((r) => r.path === HOOK);
    expect(hook.every((r) => r.headers['content-encoding'] === 'gzip' && r.headers['content-type'] === 'application/x-ndjson' && r.headers.authorization === undefined)).toBe(true);
    expect(h.receiver.acknowledged(HOOK).find((l) => (l as unknown as CommittedRecord).seq === 2 && (l as unknown as CommittedRecord).event.tenant === h.tenantB)).toEqual(b[1]);
    expect(h.receiver.requests.flatMap((r) => seqsOf(r.lines, h.outsider))).toEqual([]);
    await expectEventually(async () => {
      expect(await h.position('hec', h.tenantA)).toBe(12);
      expect(await h.position('lake', h.tenantB)).toBe(3);
    });
  }, 90_000);

  it('loses nothing while the receiver answers 503 with Retry-After and then refuses connections; lag shows it', async () => {
    const before = h.receiver.requests.length;
    h.receiver.modes.set(HEC, { kind: 'status', status: 503, retryAfter: '1' });
    const startSeq = h.committed(h.tenantA) + 1;
    await h.commit(h.tenantA, 8);
    // The sink keeps asking, no faster than Retry-After says.
    await expectEventually(() => expect(h.receiver.requests.slice(before).filter((r) => r.path === HEC && r.answered === 503).length).toBeGreaterThanOrEqual(3), { timeoutMs: 20_000 });
    const refused = h.receiver.requests.slice(before).filter((r) => r.path === HEC && r.answered === 503);
    for (let i = 1; i < refused.length; i++) expect(refused[i]!.at - refused[i - 1]!.at).toBeGreaterThanOrEqual(950);
    expect(await h.position('hec', h.tenantA)).toBe(startSeq - 1);
    // The down sink lags; the other sink is not held back.
    await expectEventually(async () => expect(Math.max(...(await h.metric('query_siem_lag_messages', { sink: 'hec' })))).toBeGreaterThan(0), { timeoutMs: 10_000 });
    expect((await h.metric('query_siem_failing', { sink: 'hec' }))[0]).toBe(1);
    await expectEventually(async () => expect(await h.position('lake', h.tenantA)).toBe(startSeq + 7), { timeoutMs: 20_000 });

    await h.receiver.close();
    await h.commit(h.tenantA, 6);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await h.position('hec', h.tenantA)).toBe(startSeq - 1);
    expect(h.app!.get(SiemSinks).status().find((s) => s.name === 'hec')).toMatchObject({ state: 'retrying', lastError: 'ECONNREFUSED' });

    h.receiver.modes.delete(HEC);
    await h.receiver.open();
    await expectEventually(() => expect(new Set(seqsOf(h.receiver.acknowledged(HEC), h.tenantA))).toEqual(new Set(range(1, startSeq + 13))), { timeoutMs: 30_000, intervalMs: 200 });
    await expectEventually(async () => {
      expect(await h.position('hec', h.tenantA)).toBe(startSeq + 13);
      expect((await h.metric('query_siem_failing', { sink: 'hec' }))[0]).toBe(0);
      expect(Math.max(...(await h.metric('query_siem_lag_messages', { sink: 'hec' })))).toBe(0);
    });
  }, 90_000);

  it('holds its position on a configuration error (4xx) and delivers once the receiver accepts again', async () => {
    h.receiver.modes.set(HOOK, { kind: 'status', status: 401, body: '{"error":"bad token"}' });
    const startSeq = h.committed(h.tenantB) + 1;
    await h.commit(h.tenantB, 4);
    await expectEventually(() => expect(h.app!.get(SiemSinks).status().find((s) => s.name === 'lake')).toMatchObject({ state: 'rejected', lastError: 'HTTP 401: {"error":"bad token"}' }), { timeoutMs: 20_000 });
    expect((await h.metric('query_siem_config_error', { sink: 'lake' }))[0]).toBe(1);
    // The HEC sink, on its own consumer group, carries on.
    await expectEventually(async () => expect(await h.position('hec', h.tenantB)).toBe(startSeq + 3), { timeoutMs: 20_000 });
    expect(await h.position('lake', h.tenantB)).toBe(startSeq - 1);
    h.receiver.modes.delete(HOOK);
    await expectEventually(async () => expect(await h.position('lake', h.tenantB)).toBe(startSeq + 3), { timeoutMs: 20_000 });
    expect(new Set(seqsOf(h.receiver.acknowledged(HOOK), h.tenantB))).toEqual(new Set(range(1, startSeq + 3)));
  }, 60_000);

  it('resumes from the stored position after a restart mid-stream: every seq at least once, only the request in flight again', async () => {
    // A slow receiver, so the stop lands while records are still owed.
    h.receiver.modes.set(HEC, { kind: 'ok', delayMs: 150 });
    const firstNew = h.committed(h.tenantA) + 1;
    await h.commit(h.tenantA, 60);
    await expectEventually(async () => expect(await h.position('hec', h.tenantA)).toBeGreaterThanOrEqual(firstNew + 10), { timeoutMs: 30_000, intervalMs: 50 });
    await h.stopApp();
    // Forget the Kafka group's offsets: only the position stored in Postgres can now keep the sink
    // from sending everything again.
    const kafka = createKafka({ brokers: h.config.KAFKA_BROKERS, clientId: `${h.ns}-reset`, logger: createLogger('test', 'silent') });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.resetOffsets({ groupId: `${h.ns}-siem-hec`, topic: topicName('committed', h.ns), earliest: true });
    } finally {
      await admin.disconnect();
    }
    const pool = createPool(h.config.DATABASE_URL, { max: 1 });
    let stored: number;
    try {
      const { rows } = await pool.query<{ last_seq: string }>('SELECT last_seq FROM query.siem_positions WHERE sink = $1 AND topic = $2 AND tenant = $3', ['hec', topicName('committed', h.ns), h.tenantA]);
      stored = Number(rows[0]!.last_seq);
    } finally {
      await pool.end();
    }
    expect(stored).toBeLessThan(firstNew + 59);
    const sentBeforeRestart = h.receiver.requests.length;
    h.receiver.modes.delete(HEC);

    await h.start();
    await h.commit(h.tenantA, 5);
    const last = h.committed(h.tenantA);
    await expectEventually(() => expect(new Set(seqsOf(h.receiver.acknowledged(HEC), h.tenantA))).toEqual(new Set(range(1, last))), { timeoutMs: 45_000, intervalMs: 200 });
    const resent = h.receiver.requests.slice(sentBeforeRestart).filter((r) => r.path === HEC).flatMap((r) => seqsOf(r.lines, h.tenantA));
    // Resumed right after the stored position (though the group's offsets were reset): nothing at or
    // below it went again…
    expect(Math.min(...resent)).toBe(stored + 1);
    // …and at most one request (5 events) of what the receiver had already seen arrives twice.
    const seenBefore = new Set(h.receiver.requests.slice(0, sentBeforeRestart).filter((r) => r.path === HEC).flatMap((r) => seqsOf(r.lines, h.tenantA)));
    expect(resent.filter((s) => seenBefore.has(s)).length).toBeLessThanOrEqual(5);
    const all = h.receiver.requests.filter((r) => r.path === HEC).flatMap((r) => r.lines);
    const ids = new Map<string, string>();
    for (const l of all) {
      const f = l.fields as { tenant: string; seq: number; eventId: string };
      const key = `${f.tenant}/${f.seq}`;
      // A duplicate is the same event: same id for the same ledger position.
      expect(ids.get(key) ?? f.eventId).toBe(f.eventId);
      ids.set(key, f.eventId);
    }
    await expectEventually(async () => expect(await h.position('hec', h.tenantA)).toBe(last));
  }, 120_000);
});
