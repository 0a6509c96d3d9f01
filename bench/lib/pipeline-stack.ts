import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { issueApiKey, topicName, TOPICS, type TopicKey } from '@audit/contracts';
import { mintDevToken, type Role } from '@audit/auth';
import { createPool, type Pool } from '@audit/db';
import { createKafka, ensureTopics } from '@audit/kafka';
import { generateSigningKey, type VerifierKey } from '@audit/ledger-core';
import { createLogger } from '@audit/observability';
import type { Emitter } from './load';
import { prepareDatabase, REPO_ROOT, ServiceProcess, type InfraEndpoints, type ServiceName } from './stack';

export interface StackOptions {
  infra: InfraEndpoints;
  database: string;
  /** First of four consecutive ports (ingest, approval-policy, ledger, query). */
  basePort: number;
  tenants: number;
  /** Extra environment per service (e.g. a profiler flag or a batch size). */
  env?: Partial<Record<ServiceName, Record<string, string>>>;
  nodeFlags?: Partial<Record<ServiceName, string[]>>;
  /** Run the services' compiled JavaScript from this tree (buildRuntime) instead of TypeScript through SWC. */
  runtimeDir?: string;
}

/**
 * The four services on a private topic namespace, index prefix, consumer groups and database, with their
 * own signing key and one API key per bench tenant: nothing another engineer's tests use is touched.
 */
export class PipelineStack {
  readonly run = randomBytes(3).toString('hex');
  readonly namespace = `bench-${this.run}`;
  readonly indexPrefix = `bench${this.run}-events`;
  readonly dir = join(REPO_ROOT, '.local', 'bench', this.run);
  readonly services: Record<ServiceName, ServiceProcess>;
  readonly tenants: string[];
  readonly emitters: Emitter[] = [];

  /** A bearer token for the query service as started here (its development JWT settings, the defaults). */
  token(tenant: string, sub: string, roles: Role[], groups: string[] = []): Promise<string> {
    return mintDevToken({ sub, tenant, roles, groups }, { issuer: 'audit-ledger-dev', audience: 'audit-ledger', hmacSecret: 'local-development-secret-change-me-0123456789' });
  }
  readonly verifierKey: VerifierKey;
  readonly os: OpenSearchClient;
  pool!: Pool;
  databaseUrl = '';

  constructor(readonly options: StackOptions) {
    this.tenants = Array.from({ length: options.tenants }, (_, i) => `bench-${this.run}-${i}`);
    mkdirSync(this.dir, { recursive: true });
    const key = generateSigningKey('audit-ledger-bench');
    writeFileSync(join(this.dir, 'ledger-signing.pem'), key.privateKeyPem, { mode: 0o600 });
    this.verifierKey = key.verifierKey;
    this.os = new OpenSearchClient({ node: options.infra.opensearchUrl, requestTimeout: 120_000 });
    const common = {
      KAFKA_BROKERS: options.infra.kafkaBrokers,
      OPENSEARCH_URL: options.infra.opensearchUrl,
      KAFKA_TOPIC_NAMESPACE: this.namespace,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'development',
    };
    const ports: Record<ServiceName, number> = { ingest: options.basePort, 'approval-policy': options.basePort + 1, ledger: options.basePort + 2, query: options.basePort + 3 };
    const own: Record<ServiceName, Record<string, string>> = {
      ingest: { RATE_LIMIT_PER_SECOND: '1000000', RATE_LIMIT_BURST: '1000000', INTAKE_GROUP_ID: 'ingest-intake', MIGRATE_ON_START: 'false' },
      ledger: { LEDGER_SIGNING_KEY_FILE: join(this.dir, 'ledger-signing.pem'), LEDGER_KEY_NAME: 'audit-ledger-bench' },
      'approval-policy': {},
      query: { OPENSEARCH_INDEX_PREFIX: this.indexPrefix, QUERY_CONSUMER_GROUP_PREFIX: this.namespace, LEDGER_PUBLIC_URL: `http://127.0.0.1:${ports.ledger}` },
    };
    this.services = Object.fromEntries(
      (Object.keys(ports) as ServiceName[]).map((name) => [
        name,
        new ServiceProcess(name, ports[name], { ...common, ...own[name], ...(options.env?.[name] ?? {}) }, join(this.dir, 'logs'), options.nodeFlags?.[name] ?? [], options.runtimeDir),
      ]),
    ) as Record<ServiceName, ServiceProcess>;
  }

  /** Fresh database + migrations, services started (ledger and query first, so no event waits for a consumer), API keys. */
  async up(): Promise<void> {
    this.databaseUrl = await prepareDatabase(this.options.infra.databaseUrl, this.options.database, true);
    for (const s of Object.values(this.services)) s.env.DATABASE_URL = this.databaseUrl;
    this.pool = createPool(this.databaseUrl, { max: 4 });
    // Topics first: four services creating the same topics at once on a fresh broker can make one of them
    // see "This server does not host this topic-partition" from ensureTopics and exit at boot.
    const kafka = createKafka({ brokers: this.options.infra.kafkaBrokers.split(','), clientId: `${this.namespace}-setup`, logger: createLogger('bench', 'error') });
    await ensureTopics(kafka, (Object.keys(TOPICS) as TopicKey[]).map((key) => ({ name: topicName(key, this.namespace) })));
    for (const name of ['ledger', 'query', 'approval-policy', 'ingest'] as const) this.services[name].start();
    await Promise.all(
      Object.values(this.services).map(async (s) => {
        try {
          await s.waitReady();
        } catch {
          // One more try: a boot that lost a race with another service's topic creation.
          s.start();
          await s.waitReady();
        }
      }),
    );
    for (const tenant of this.tenants) {
      const key = issueApiKey();
      await this.pool.query('INSERT INTO ingest_api_keys (key_id, tenant, secret_sha256, description) VALUES ($1, $2, $3, $4)', [key.keyId, tenant, key.secretSha256, 'bench']);
      this.emitters.push({ tenant, token: key.token });
    }
  }

  async stopServices(): Promise<void> {
    await Promise.all(Object.values(this.services).map((s) => s.stop()));
  }

  /** Stops the services and removes the namespace's topics, consumer groups and indices; the database stays for inspection. */
  async down(): Promise<void> {
    await this.stopServices();
    await this.pool?.end().catch(() => undefined);
    const kafka = createKafka({ brokers: this.options.infra.kafkaBrokers.split(','), clientId: `${this.namespace}-cleanup`, logger: createLogger('bench', 'error') });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${this.namespace}.`));
      if (topics.length) await admin.deleteTopics({ topics });
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(this.namespace));
      if (groups.length) await admin.deleteGroups(groups).catch(() => undefined);
    } finally {
      await admin.disconnect();
    }
    await this.os.indices.delete({ index: `${this.indexPrefix}-*,${this.indexPrefix}raw-*`, ignore_unavailable: true, allow_no_indices: true } as never).catch(() => undefined);
    await this.os.indices.deleteIndexTemplate({ name: this.indexPrefix }).catch(() => undefined);
    await this.os.close();
  }
}
