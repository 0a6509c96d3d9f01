import { Kafka, logLevel, type Admin, type ITopicConfig, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';

export type { Kafka } from 'kafkajs';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** How to reach the brokers securely; the fields mirror the KAFKA_SSL / KAFKA_SASL_* variables of libs/config. */
export interface KafkaSecurity {
  KAFKA_SSL?: boolean;
  KAFKA_SASL_MECHANISM?: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  KAFKA_SASL_USERNAME?: string;
  KAFKA_SASL_PASSWORD?: string;
}

/** The kafkajs connection options for a parsed configuration (pure; the config schema already checked it). */
export function kafkaConnectionOptions(security: KafkaSecurity): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const options: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (security.KAFKA_SSL) options.ssl = true;
  if (security.KAFKA_SASL_MECHANISM) {
    if (security.KAFKA_SASL_USERNAME === undefined || security.KAFKA_SASL_PASSWORD === undefined) {
      throw new Error('KAFKA_SASL_MECHANISM needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD');
    }
    const credentials = { username: security.KAFKA_SASL_USERNAME, password: security.KAFKA_SASL_PASSWORD };
    options.sasl =
      security.KAFKA_SASL_MECHANISM === 'plain'
        ? { mechanism: 'plain', ...credentials }
        : security.KAFKA_SASL_MECHANISM === 'scram-sha-256'
          ? { mechanism: 'scram-sha-256', ...credentials }
          : { mechanism: 'scram-sha-512', ...credentials };
  }
  return options;
}

export function createKafka(options: {
  brokers: string[];
  clientId: string;
  logger: Logger;
  security?: KafkaSecurity;
  /** kafkajs' own retries of one request (default 8); a caller with its own retry loop asks for fewer. */
  retries?: number;
}): Kafka {
  // We always key by tenant, so the default partitioner's change in kafkajs 2 does not concern us.
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  const kafkaLogger = options.logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    ...kafkaConnectionOptions(options.security ?? {}),
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 200, retries: options.retries ?? 8, maxRetryTime: 5_000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...extra } = log;
        kafkaLogger[LEVELS[level] ?? 'info'](extra, message);
      },
  });
}

export interface TopicSpec {
  name: string;
  partitions?: number;
  /** Topic-level configs, e.g. retention for the DLQ. */
  config?: Record<string, string>;
}

export interface EnsureTopicsOptions {
  /** Partitions for a missing topic whose spec does not say (KAFKA_TOPIC_PARTITIONS). */
  partitions?: number;
  /** Told when an existing topic's partition count differs from what was asked. */
  logger?: { warn(fields: object, message: string): void };
  /** How long to keep retrying answers that mean "not ready yet" (default 60 s). */
  retryForMs?: number;
}

export interface TopicPartitionMismatch {
  topic: string;
  existing: number;
  wanted: number;
}

/**
 * Creates missing topics; safe to call from every instance at boot. Existing topics are left exactly as
 * they are, even when their partition count differs from the one asked for: adding partitions moves
 * tenants (the key) to other partitions while older messages of theirs may still wait in the old one, so
 * it is an operator's step (drain, then alter; see the README) and never a side effect of a restart.
 * Returns (and logs) the existing topics whose partition count differs.
 */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[], options: EnsureTopicsOptions = {}): Promise<TopicPartitionMismatch[]> {
  // One at a time per client: several modules of one service ensure the same topics at boot, and two
  // concurrent creations of one topic make the broker answer TOPIC_ALREADY_EXISTS, which kafkajs
  // tolerates but logs as an error on every start.
  const previous = creating.get(kafka) ?? Promise.resolve();
  const mine = previous.catch(() => undefined).then(() => withMetadataRetry(() => ensureTopicsNow(kafka, specs, options), options));
  creating.set(kafka, mine.catch(() => undefined));
  return mine;
}

const creating = new WeakMap<Kafka, Promise<unknown>>();

/** Broker answers that only mean "not yet": a just-created topic whose partitions have no leader yet. */
const NOT_YET = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_OR_FOLLOWER', 'TOPIC_ALREADY_EXISTS', 'NOT_CONTROLLER', 'REQUEST_TIMED_OUT']);

export function isNotYet(error: unknown): boolean {
  const e = error as { type?: string; retriable?: boolean; name?: string } | undefined;
  if (e?.type !== undefined && NOT_YET.has(e.type)) return true;
  return e?.name === 'KafkaJSNumberOfRetriesExceeded' || e?.name === 'KafkaJSConnectionError' || e?.retriable === true;
}

/**
 * On a just-formatted broker four services create topics at once, and a topic can be listed before its
 * partitions have leaders: metadata then answers UNKNOWN_TOPIC_OR_PARTITION. Retry such answers with
 * backoff for up to `retryForMs` (default 60 s), saying so, instead of failing the service's start.
 */
async function withMetadataRetry<T>(attempt: () => Promise<T>, options: EnsureTopicsOptions): Promise<T> {
  const deadline = Date.now() + (options.retryForMs ?? 60_000);
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isNotYet(error) || Date.now() >= deadline) throw error;
      const delay = Math.min(2_000, 100 * 2 ** n);
      options.logger?.warn({ err: error, attempt: n, delay }, 'topics not ready yet on the broker; retrying');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

async function ensureTopicsNow(kafka: Kafka, specs: TopicSpec[], options: EnsureTopicsOptions): Promise<TopicPartitionMismatch[]> {
  const defaultPartitions = options.partitions ?? 3;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = (s: TopicSpec) => s.partitions ?? defaultPartitions;
    const missing: ITopicConfig[] = specs
      .filter((s) => !existing.has(s.name))
      .map((s) => ({
        topic: s.name,
        numPartitions: wanted(s),
        replicationFactor: -1,
        configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
      }));
    if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
    const present = specs.filter((s) => existing.has(s.name));
    if (present.length === 0) return [];
    const { topics } = await admin.fetchTopicMetadata({ topics: present.map((s) => s.name) });
    const mismatches = present.flatMap((s) => {
      const count = topics.find((t) => t.name === s.name)?.partitions.length;
      return count !== undefined && count !== wanted(s) ? [{ topic: s.name, existing: count, wanted: wanted(s) }] : [];
    });
    for (const m of mismatches) {
      options.logger?.warn(m, `topic ${m.topic} has ${m.existing} partitions, configuration asks for ${m.wanted}: left unchanged (changing it is an operator step, see README "Partitions")`);
    }
    return mismatches;
  } finally {
    await admin.disconnect();
  }
}

/** Readiness probe: a connected admin that can describe the cluster. */
export class KafkaProbe {
  private admin: Admin | undefined;
  constructor(private readonly kafka: Kafka) {}

  async check(): Promise<void> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    await this.admin.describeCluster();
  }

  async close(): Promise<void> {
    await this.admin?.disconnect();
    this.admin = undefined;
  }
}
