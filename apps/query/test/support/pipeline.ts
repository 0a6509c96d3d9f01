import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { parseEnv } from '@audit/config';
import { topicName } from '@audit/contracts';
import { createPool, type Pool } from '@audit/db';
import { createKafka, ensureTopics } from '@audit/kafka';
import { generateSigningKey } from '@audit/ledger-core';
import { createLogger } from '@audit/observability';
import { bootService } from '@audit/testing';
import { createApiKey } from '../../../cli/src/admin/api-keys.store';
import { IngestEnv } from '../../../ingest/src/config';
import { createIngestApp } from '../../../ingest/src/ingest.app';
import { AppModule as LedgerModule } from '../../../ledger/src/app.module';
import { LedgerEnv } from '../../../ledger/src/config';
import { verifyWebhook } from '../../src/alerting/notifications/webhook-signature';
import { AlertingHarness } from './alerting-harness';

/**
 * The whole pipeline in-process on one topic namespace: the real ingest (HTTP, API key), the real ledger
 * (hash chain, checkpoints) and the query service with alerting, on the real system clock.
 */
export class Pipeline {
  readonly query = new AlertingHarness();
  ingest!: NestFastifyApplication;
  ledger!: NestFastifyApplication;
  pool!: Pool;
  apiKey!: string;

  constructor(readonly tenant: string) {}

  /** The ledger's signing key, so a test can verify what it signed. */
  readonly ledgerKey = generateSigningKey('alerting-e2e');

  async start(queryEnv: NodeJS.ProcessEnv = {}, ledgerEnv: NodeJS.ProcessEnv = {}): Promise<void> {
    const ns = this.query.ns;
    const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
    await ensureTopics(
      createKafka({ brokers, clientId: `${ns}-admin`, logger: createLogger('test', 'silent') }),
      (['intake', 'ingested', 'committed', 'checkpoints', 'dlq', 'alerts'] as const).map((k) => ({ name: topicName(k, ns), partitions: 2 })),
    );
    this.pool = createPool(process.env.DATABASE_URL ?? '', { max: 2 });
    const key = this.ledgerKey;
    this.ledger = await bootService(
      { service: 'ledger', env: LedgerEnv, module: (config, logger) => LedgerModule.forRoot(config, logger), uses: { postgres: true, kafka: true } },
      { KAFKA_TOPIC_NAMESPACE: ns, LEDGER_SIGNING_KEY: key.privateKeyPem, LEDGER_KEY_NAME: 'alerting-e2e', CHECKPOINT_INTERVAL_MS: '1000', LEDGER_VERIFY_ENABLED: 'false', ...ledgerEnv },
    );
    const ingestConfig = parseEnv(IngestEnv, { ...process.env, KAFKA_TOPIC_NAMESPACE: ns, LOG_LEVEL: 'silent', INTAKE_ENABLED: 'false' });
    this.ingest = await createIngestApp(ingestConfig, createLogger('ingest', 'silent'));
    this.apiKey = (await createApiKey(this.pool, { tenant: this.tenant, sources: [], types: [] })).token;
    this.query.clock = () => new Date();
    await this.query.start(queryEnv);
  }

  async emit(events: Record<string, unknown>[]): Promise<{ status: number; body: string }> {
    const res = await this.ingest.inject({
      method: 'POST',
      url: '/v1/events:batch',
      payload: JSON.stringify({ events }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.apiKey}` },
    });
    return { status: res.statusCode, body: res.body };
  }

  async stop(): Promise<void> {
    await this.query.stop();
    await this.ingest?.close();
    await this.ledger?.close();
    await this.pool?.end();
  }
}

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
  validSignature: boolean;
}

/** A webhook receiver on 127.0.0.1 that verifies signatures as the README tells receivers to. */
export class WebhookReceiver {
  readonly received: Received[] = [];
  private server: Server | undefined;
  port = 0;

  constructor(private readonly secret: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const validSignature = verifyWebhook(
          this.secret,
          { signature: req.headers['x-signature'] as string | undefined, timestamp: req.headers['x-signature-timestamp'] as string | undefined },
          body,
          Math.floor(Date.now() / 1000),
        );
        this.received.push({ path: req.url ?? '', headers: req.headers, body, at: Date.now(), validSignature });
        res.writeHead(validSignature ? 204 : 401).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Closes the listener: deliveries get connection refused until `up()` again on the same port. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
