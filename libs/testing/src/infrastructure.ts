import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Infrastructure {
  via: 'external' | 'launcher' | 'testcontainers';
  kafkaBrokers: string;
  databaseUrl: string;
  opensearchUrl: string;
}

const REPO_ROOT = join(__dirname, '..', '..', '..');
const TEST_DATABASE = 'audit_test';

interface Stoppable {
  stop(): Promise<unknown>;
}
const started: Stoppable[] = [];

/**
 * Real infrastructure for integration tests, in order of preference:
 * 1. all three given by the environment (KAFKA_BROKERS, DATABASE_URL, OPENSEARCH_URL) → used as-is;
 * 2. a Docker engine answers → testcontainers (TESTCONTAINERS=0 turns this off);
 * 3. otherwise the project's own launcher in deploy/local (native Kafka and OpenSearch, local Postgres).
 */
export async function startInfrastructure(): Promise<Infrastructure> {
  const { KAFKA_BROKERS, DATABASE_URL, OPENSEARCH_URL } = process.env;
  if (process.env.INFRA_EXTERNAL === '1' && KAFKA_BROKERS && DATABASE_URL && OPENSEARCH_URL) {
    return { via: 'external', kafkaBrokers: KAFKA_BROKERS, databaseUrl: DATABASE_URL, opensearchUrl: OPENSEARCH_URL };
  }
  if (process.env.TESTCONTAINERS !== '0' && (await dockerAvailable())) return startWithTestcontainers();
  return startWithLauncher();
}

export async function stopInfrastructure(): Promise<void> {
  // The launcher's processes are left running on purpose: `npm test` stops them (scripts/test.sh), and a
  // developer re-running jest keeps a warm stack. Containers are ours alone, so they go.
  await Promise.all(started.splice(0).map((c) => c.stop()));
}

function startWithLauncher(): Infrastructure {
  execFileSync(process.execPath, [join(REPO_ROOT, 'deploy', 'local', 'infra.mjs'), 'up'], { stdio: 'inherit' });
  const envFile = join(process.env.AUDIT_LOCAL_DIR ?? join(REPO_ROOT, '.local'), 'infra.env');
  if (!existsSync(envFile)) throw new Error(`the launcher did not write ${envFile}`);
  const vars = Object.fromEntries(
    readFileSync(envFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  ) as Record<string, string | undefined>;
  const { KAFKA_BROKERS, DATABASE_URL, OPENSEARCH_URL } = vars;
  if (!KAFKA_BROKERS || !DATABASE_URL || !OPENSEARCH_URL) throw new Error(`${envFile} lacks an address`);
  return {
    via: 'launcher',
    kafkaBrokers: KAFKA_BROKERS,
    databaseUrl: withDatabase(DATABASE_URL, TEST_DATABASE),
    opensearchUrl: OPENSEARCH_URL,
  };
}

async function dockerAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

async function startWithTestcontainers(): Promise<Infrastructure> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const [kafka, postgres, opensearch] = await Promise.all([
    new GenericContainer('apache/kafka:3.9.1')
      .withExposedPorts({ container: 9092, host: 19092 })
      .withEnvironment({
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
        KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://localhost:19092',
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      })
      .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
      .start(),
    new GenericContainer('postgres:15.14')
      .withExposedPorts(5432)
      .withEnvironment({ POSTGRES_PASSWORD: 'postgres', POSTGRES_DB: TEST_DATABASE })
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .start(),
    new GenericContainer('opensearchproject/opensearch:2.19.3')
      .withExposedPorts(9200)
      .withEnvironment({ 'discovery.type': 'single-node', DISABLE_SECURITY_PLUGIN: 'true', OPENSEARCH_JAVA_OPTS: '-Xms512m -Xmx1g' })
      .withWaitStrategy(Wait.forHttp('/_cluster/health', 9200).forStatusCode(200))
      .start(),
  ]);
  started.push(kafka, postgres, opensearch);
  return {
    via: 'testcontainers',
    kafkaBrokers: 'localhost:19092',
    databaseUrl: `postgres://postgres:postgres@${postgres.getHost()}:${postgres.getMappedPort(5432)}/${TEST_DATABASE}`,
    opensearchUrl: `http://${opensearch.getHost()}:${opensearch.getMappedPort(9200)}`,
  };
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
