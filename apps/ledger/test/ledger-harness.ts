import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { Pool } from 'pg';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { topicName, type AcceptedEvent, type CommittedRecord } from '@audit/contracts';
import { ensureTopics } from '@audit/kafka';
import { generateSigningKey, parseServiceSecrets, serviceSignedMessage, type VerifierKey } from '@audit/ledger-core';
import { bootService } from '@audit/testing';
import { AppModule } from '../src/app.module';
import { LedgerEnv } from '../src/config';

/** A ledger service booted in-process on its own topic namespace, with a fresh signing key. */
export class LedgerHarness {
  readonly namespace = `t${randomBytes(4).toString('hex')}`;
  readonly kafka = new Kafka({ clientId: 'ledger-test', brokers: (process.env.KAFKA_BROKERS ?? '').split(','), logLevel: logLevel.NOTHING });
  readonly pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
  readonly key = generateSigningKey('test-ledger-key');
  app: NestFastifyApplication | undefined;
  private producer: Producer | undefined;
  private committedConsumer: Consumer | undefined;
  readonly committed: CommittedRecord[] = [];

  get trustedKeys(): VerifierKey[] {
    return [this.key.verifierKey];
  }

  env(): NodeJS.ProcessEnv {
    return {
      KAFKA_TOPIC_NAMESPACE: this.namespace,
      LEDGER_SIGNING_KEY: this.key.privateKeyPem,
      LEDGER_KEY_NAME: 'test-ledger-key',
      CHECKPOINT_INTERVAL_MS: '200',
      // Its ledger.verified events would add records to logs these tests count exactly; continuous-verification.int-spec turns it on.
      LEDGER_VERIFY_ENABLED: 'false',
    };
  }

  async start(extraEnv: NodeJS.ProcessEnv = {}): Promise<void> {
    await ensureTopics(this.kafka, ['ingested', 'committed', 'checkpoints', 'dlq'].map((k) => ({ name: topicName(k as 'ingested', this.namespace) })));
    this.app = await bootService(
      { service: 'ledger', env: LedgerEnv, module: (config, logger) => AppModule.forRoot(config, logger), uses: { postgres: true, kafka: true } },
      { ...this.env(), ...extraEnv },
    );
  }

  async stopApp(): Promise<void> {
    await this.app?.close();
    this.app = undefined;
  }

  async send(events: AcceptedEvent[]): Promise<void> {
    await this.produce(events.map((e) => ({ key: e.tenant, value: JSON.stringify(e) })));
  }

  private async produce(messages: { key: string; value: string; headers?: Record<string, string> }[]): Promise<void> {
    if (!this.producer) {
      this.producer = this.kafka.producer({ idempotent: true });
      await this.producer.connect();
    }
    await this.producer.send({ topic: topicName('ingested', this.namespace), acks: -1, messages });
  }

  /** As one of our services would: each event with the service credential of this test run (global setup). */
  async sendAsService(events: AcceptedEvent[]): Promise<void> {
    const secrets = parseServiceSecrets(process.env.SERVICE_CREDENTIAL_SECRET ?? '');
    await this.produce(
      events.map((e) => {
        const signed = serviceSignedMessage(secrets, e);
        return { key: e.tenant, value: JSON.stringify(signed.value), headers: signed.headers };
      }),
    );
  }

  /** One event with the headers given (e.g. a forged credential). */
  async produceSigned(event: AcceptedEvent, headers: Record<string, string>): Promise<void> {
    await this.produce([{ key: event.tenant, value: JSON.stringify(event), headers }]);
  }

  async sendRaw(tenant: string, value: string): Promise<void> {
    if (!this.producer) {
      this.producer = this.kafka.producer({ idempotent: true });
      await this.producer.connect();
    }
    await this.producer.send({ topic: topicName('ingested', this.namespace), acks: -1, messages: [{ key: tenant, value }] });
  }

  async watchCommitted(): Promise<void> {
    this.committedConsumer = this.kafka.consumer({ groupId: `${this.namespace}-watch` });
    await this.committedConsumer.connect();
    await this.committedConsumer.subscribe({ topic: topicName('committed', this.namespace), fromBeginning: true });
    await this.committedConsumer.run({
      eachMessage: async ({ message }) => void this.committed.push(JSON.parse(String(message.value)) as CommittedRecord),
    });
  }

  async rows(tenant: string): Promise<{ seq: number; event_id: string }[]> {
    const { rows } = await this.pool.query<{ seq: string; event_id: string }>('SELECT seq, event_id FROM ledger.records WHERE tenant = $1 ORDER BY seq', [tenant]);
    return rows.map((r) => ({ seq: Number(r.seq), event_id: r.event_id }));
  }

  async close(): Promise<void> {
    await this.stopApp();
    await this.producer?.disconnect();
    await this.committedConsumer?.disconnect();
    await this.pool.end();
  }
}

/** A port the OS says is free right now (bind to 0, read it, release it): no collisions between children. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The value of one sample on a Prometheus/OpenMetrics page: `name` with at least these labels (any order). */
export function metricValue(page: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of page.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const body = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => body.includes(`${k}="${v}"`))) return Number(m[3]);
  }
  return undefined;
}
