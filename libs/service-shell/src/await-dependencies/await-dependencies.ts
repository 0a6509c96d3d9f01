import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { createPool, pingPostgres } from '@audit/db';
import { createKafka, KafkaProbe, type KafkaSecurity } from '@audit/kafka';
import type { Logger } from '@audit/observability';
import { retryWithBackoff } from './retry-with-backoff';

export interface AwaitDependenciesOptions {
  service: string;
  logger: Logger;
  config: { KAFKA_BROKERS: string[]; DATABASE_URL: string; OPENSEARCH_URL: string } & KafkaSecurity;
  uses: { postgres?: boolean; kafka?: boolean; opensearch?: boolean };
  /** First wait after a failed attempt; it doubles up to `maxDelayMs` (defaults 500 ms and 10 s). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Give up (throw) after this long; absent: wait for as long as it takes. */
  giveUpAfterMs?: number;
}

interface Dependency {
  name: 'postgres' | 'kafka' | 'opensearch';
  /** Where, for the log: host and port only, never credentials. */
  where: string;
  check(): Promise<void>;
  close(): Promise<unknown>;
}

/**
 * Waits, before a service starts, until each connection it uses answers. On a machine that is starting
 * up (or a Kafka, Postgres or OpenSearch that restarts) the service otherwise died on its first connect
 * and needed a second `npm start`; now it says what it cannot reach and retries with backoff.
 */
export async function awaitDependencies(options: AwaitDependenciesOptions): Promise<void> {
  const dependencies = probes(options);
  try {
    for (const dependency of dependencies) {
      await retryWithBackoff(() => dependency.check(), {
        initialMs: options.initialDelayMs ?? 500,
        maxMs: options.maxDelayMs ?? 10_000,
        ...(options.giveUpAfterMs !== undefined ? { giveUpAfterMs: options.giveUpAfterMs } : {}),
        now: () => Date.now(),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        onRetry: ({ attempt, delayMs, elapsedMs, error }) =>
          options.logger.warn(
            { dependency: dependency.name, where: dependency.where, attempt, retryInMs: delayMs, waitedMs: elapsedMs, reason: reason(error) },
            `${options.service} cannot reach ${dependency.name} at ${dependency.where} yet (${reason(error)}); retrying in ${delayMs} ms`,
          ),
      });
      options.logger.info({ dependency: dependency.name, where: dependency.where }, `${dependency.name} reachable`);
    }
  } finally {
    await Promise.allSettled(dependencies.map((d) => d.close()));
  }
}

function probes(options: AwaitDependenciesOptions): Dependency[] {
  const list: Dependency[] = [];
  if (options.uses.postgres) {
    const pool = createPool(options.config.DATABASE_URL, { max: 1, connectionTimeoutMillis: 3_000 });
    list.push({ name: 'postgres', where: hostOf(options.config.DATABASE_URL), check: () => pingPostgres(pool), close: () => pool.end() });
  }
  if (options.uses.kafka) {
    const kafka = createKafka({
      brokers: options.config.KAFKA_BROKERS,
      clientId: `${options.service}-startup`,
      // kafkajs would log every refused connection as an error; the retry line below says it once.
      logger: options.logger.child({}, { level: 'silent' }),
      security: options.config,
      retries: 0,
    });
    const probe = new KafkaProbe(kafka);
    list.push({ name: 'kafka', where: options.config.KAFKA_BROKERS.join(','), check: () => probe.check(), close: () => probe.close() });
  }
  if (options.uses.opensearch) {
    const client = new OpenSearchClient({ node: options.config.OPENSEARCH_URL, requestTimeout: 5_000, maxRetries: 0 });
    list.push({
      name: 'opensearch',
      where: hostOf(options.config.OPENSEARCH_URL),
      check: async () => {
        await client.cluster.health({});
      },
      close: () => client.close(),
    });
  }
  return list;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(unparseable URL)';
  }
}

function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reason(error.errors[0]);
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
