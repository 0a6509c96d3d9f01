import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import type { Pool } from 'pg';
import { createPool, pingPostgres } from '@audit/db';
import { createKafka, KafkaProbe, type Kafka, type KafkaSecurity } from '@audit/kafka';
import { createMetricsRegistry, type Logger, type ReadinessCheck } from '@audit/observability';
import { HealthHttpController, LOGGER, METRICS_REGISTRY, MetricsHttpController, READINESS_CHECKS } from '@audit/observability/nest';
import { KAFKA, OPENSEARCH, PG_POOL, SERVICE_CONFIG } from './tokens';

export interface ServiceShellOptions {
  service: string;
  logger: Logger;
  config: { KAFKA_BROKERS: string[]; DATABASE_URL: string; OPENSEARCH_URL: string } & KafkaSecurity;
  /** Which connections this service uses: only these are opened and only these decide readiness. */
  uses: { postgres?: boolean; kafka?: boolean; opensearch?: boolean };
  /** The whole parsed config, provided under SERVICE_CONFIG for the service's own modules. */
  serviceConfig: unknown;
  poolSize?: number;
  /** Postgres role the pool acts as (SET ROLE at connect), for least privilege. */
  dbRole?: string;
}

class ConnectionCloser implements OnApplicationShutdown {
  constructor(private readonly closers: (() => Promise<unknown>)[]) {}
  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.closers.map((c) => c()));
  }
}

/**
 * The Nest shell every service shares: config, logger, metrics, `/healthz`, `/readyz`, `/metrics`, and the
 * Postgres pool, Kafka client and OpenSearch client it declares it uses (closed on shutdown).
 */
@Global()
@Module({})
export class ServiceShellModule {
  static forRoot(options: ServiceShellOptions): DynamicModule {
    const checks: ReadinessCheck[] = [];
    const closers: (() => Promise<unknown>)[] = [];
    const providers: Provider[] = [
      { provide: SERVICE_CONFIG, useValue: options.serviceConfig },
      { provide: LOGGER, useValue: options.logger },
      { provide: METRICS_REGISTRY, useValue: createMetricsRegistry(options.service) },
      { provide: READINESS_CHECKS, useValue: checks },
    ];
    const exported: (string | symbol)[] = [SERVICE_CONFIG, LOGGER, METRICS_REGISTRY, READINESS_CHECKS];

    if (options.uses.postgres) {
      const pool: Pool = createPool(options.config.DATABASE_URL, {
        max: options.poolSize ?? 10,
        ...(options.dbRole ? { options: `-c role=${options.dbRole}` } : {}),
      });
      checks.push({ name: 'postgres', check: () => pingPostgres(pool) });
      closers.push(() => pool.end());
      providers.push({ provide: PG_POOL, useValue: pool });
      exported.push(PG_POOL);
    }
    if (options.uses.kafka) {
      const kafka: Kafka = createKafka({
        brokers: options.config.KAFKA_BROKERS,
        clientId: options.service,
        logger: options.logger,
        security: options.config,
      });
      const probe = new KafkaProbe(kafka);
      checks.push({ name: 'kafka', check: () => probe.check() });
      closers.push(() => probe.close());
      providers.push({ provide: KAFKA, useValue: kafka });
      exported.push(KAFKA);
    }
    if (options.uses.opensearch) {
      const client = new OpenSearchClient({ node: options.config.OPENSEARCH_URL, requestTimeout: 30_000 });
      checks.push({
        name: 'opensearch',
        check: async () => {
          await client.cluster.health({});
        },
      });
      closers.push(() => client.close());
      providers.push({ provide: OPENSEARCH, useValue: client });
      exported.push(OPENSEARCH);
    }
    providers.push({ provide: ConnectionCloser, useValue: new ConnectionCloser(closers) });

    return {
      module: ServiceShellModule,
      controllers: [HealthHttpController, MetricsHttpController],
      providers,
      exports: exported,
    };
  }
}

/** Parameter decorators for the shared connections. */
export const InjectPool = () => Inject(PG_POOL);
export const InjectKafka = () => Inject(KAFKA);
export const InjectOpenSearch = () => Inject(OPENSEARCH);
export const InjectConfig = () => Inject(SERVICE_CONFIG);
export const InjectLogger = () => Inject(LOGGER);
export const InjectMetrics = () => Inject(METRICS_REGISTRY);
/** The `/readyz` checks: a service adds its own (e.g. stalled consumer partitions) at construction. */
export const InjectReadinessChecks = () => Inject(READINESS_CHECKS);

/**
 * A provider that adds `source`'s check (e.g. KafkaLifecycle: stalled or held consumer partitions) to
 * `/readyz`. List it among the service module's providers.
 */
export function readinessFrom(source: { readiness(): ReadinessCheck }): Provider {
  return {
    provide: Symbol('READINESS_SOURCE'),
    inject: [READINESS_CHECKS],
    useFactory: (checks: ReadinessCheck[]) => {
      checks.push(source.readiness());
      return source;
    },
  };
}
