import type { z } from 'zod';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { CheckpointMessage, CommittedRecord, topicName } from '@audit/contracts';
import type { Pool } from '@audit/db';
import { ConsumerRunner, ensureTopics, KafkaPublisher, type Kafka } from '@audit/kafka';
import { KafkaLifecycle } from '@audit/kafka/nest';
import { counter, type Logger, type Registry } from '@audit/observability';
import { InjectConfig, InjectKafka, InjectLogger, InjectMetrics, InjectOpenSearch, InjectPool } from '@audit/service-shell';
import { CLOCK, ID_GENERATOR, type Clock, type IdGenerator } from '../clock';
import type { QueryConfig } from '../config';
import { OutboundPolicy } from '../outbound/outbound-policy';
import { withProjectorWriter } from '../projections/postgres/tenant-reader';
import { AlertStore } from './alerts/alert.store';
import { ScheduledEvaluation, type ScheduledResult } from './evaluation/scheduled-evaluation';
import { StreamingEvaluation } from './evaluation/streaming-evaluation';
import { DeliveryWorker } from './notifications/delivery.worker';
import { RuleRepository } from './rules/rule.repository';

/**
 * Runs alerting inside the query service: a consumer of `audit.committed.v1` (its own group) for
 * streaming rules, one of `audit.checkpoints.v1` for checkpoint flatlines, a timer for scheduled rules
 * and the outbox worker. With ALERTING_ENABLED=false, or on a read-only replica (QUERY_PROJECTORS
 * empty), only the API runs.
 */
@Injectable()
export class AlertingRuntime implements OnApplicationBootstrap, OnModuleDestroy {
  readonly rules = new RuleRepository();
  readonly alerts: AlertStore;
  readonly streaming: StreamingEvaluation;
  readonly scheduled: ScheduledEvaluation;
  readonly delivery: DeliveryWorker;
  private readonly timers: NodeJS.Timeout[] = [];
  private delivering: Promise<unknown> | null = null;
  private deliverAgain = false;
  private scheduling: Promise<unknown> | null = null;
  private stopped = false;

  constructor(
    @InjectConfig() private readonly config: QueryConfig,
    @InjectKafka() private readonly kafka: Kafka,
    @InjectPool() private readonly pool: Pool,
    @InjectOpenSearch() opensearch: OpenSearchClient,
    @InjectLogger() logger: Logger,
    @InjectMetrics() private readonly metrics: Registry,
    private readonly publisher: KafkaPublisher,
    @Inject(KafkaLifecycle) private readonly lifecycle: KafkaLifecycle,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ID_GENERATOR) newId: IdGenerator,
    outbound: OutboundPolicy,
  ) {
    this.logger = logger.child({ feature: 'alerting' });
    this.alerts = new AlertStore({ ledgerPublicUrl: config.LEDGER_PUBLIC_URL, queryPublicUrl: config.QUERY_PUBLIC_URL }, newId);
    this.streaming = new StreamingEvaluation(pool, this.rules, this.alerts, clock, this.logger);
    this.scheduled = new ScheduledEvaluation(pool, opensearch, config.OPENSEARCH_INDEX_PREFIX, this.rules, this.alerts, this.logger);
    this.delivery = new DeliveryWorker(
      pool,
      publisher,
      clock,
      { maxAttempts: config.ALERT_WEBHOOK_MAX_ATTEMPTS, backoffMs: config.ALERT_WEBHOOK_BACKOFF_MS, timeoutMs: config.ALERT_WEBHOOK_TIMEOUT_MS, serviceSecrets: config.SERVICE_CREDENTIAL_SECRET },
      this.logger,
      outbound,
    );
  }

  private readonly logger: Logger;

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.ALERTING_ENABLED || this.config.QUERY_PROJECTORS.length === 0) return;
    const ns = this.config.KAFKA_TOPIC_NAMESPACE;
    await ensureTopics(
      this.kafka,
      (['committed', 'checkpoints', 'alerts', 'ingested', 'dlq'] as const).map((k) => ({ name: topicName(k, ns) })),
      { partitions: this.config.KAFKA_TOPIC_PARTITIONS, logger: this.logger },
    );
    const firings = counter(this.metrics, 'query_alert_firings_total', 'rule firings by outcome (opened, renotified, suppressed)', ['outcome']);
    const committed = new ConsumerRunner<CommittedRecord>({
      kafka: this.kafka,
      groupId: `${this.config.QUERY_CONSUMER_GROUP_PREFIX}-alerting`,
      topic: topicName('committed', ns),
      schema: CommittedRecord,
      service: 'query',
      logger: this.logger,
      dlq: this.publisher,
      handle: async (consumed) => {
        const result = await this.streaming.apply(consumed.map((c) => c.value));
        for (const f of result.firings) firings.inc({ outcome: f.outcome });
        if (result.firings.some((f) => f.outcome !== 'suppressed')) this.kick();
      },
    });
    const checkpoints = new ConsumerRunner<z.output<typeof CheckpointMessage>>({
      kafka: this.kafka,
      groupId: `${this.config.QUERY_CONSUMER_GROUP_PREFIX}-alerting-checkpoints`,
      topic: topicName('checkpoints', ns),
      schema: CheckpointMessage,
      service: 'query',
      logger: this.logger,
      dlq: this.publisher,
      handle: async (consumed) => {
        await withProjectorWriter(this.pool, (client) =>
          client.query(
            `INSERT INTO query.alert_checkpoints (tenant, size, signed_at)
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::timestamptz[]) ON CONFLICT DO NOTHING`,
            [consumed.map((c) => c.value.tenant), consumed.map((c) => c.value.size), consumed.map((c) => c.value.signedAt)],
          ),
        );
      },
    });
    for (const runner of [committed, checkpoints]) {
      this.lifecycle.addConsumer(runner);
      await runner.start();
    }
    this.timers.push(setInterval(() => this.kick(), this.config.ALERT_DELIVERY_POLL_MS));
    if (this.config.ALERT_SCHEDULE_INTERVAL_MS > 0) {
      this.timers.push(setInterval(() => void this.runScheduled(), this.config.ALERT_SCHEDULE_INTERVAL_MS));
    }
    this.logger.info({ topic: topicName('committed', ns) }, 'alerting started');
  }

  /** Scheduled rules and sequence deadlines at `now` (the timer passes the clock's now). */
  async evaluateScheduled(now: Date = this.clock(), onlyTenants?: readonly string[]): Promise<ScheduledResult> {
    const result = await this.scheduled.evaluateScheduled(now, onlyTenants);
    if (result.firings.some((f) => f.outcome !== 'suppressed')) this.kick();
    return result;
  }

  /** Wakes the outbox worker now (after a firing) instead of at its next poll; runs never overlap. */
  kick(): void {
    if (this.stopped) return;
    if (this.delivering) {
      this.deliverAgain = true;
      return;
    }
    this.delivering = (async () => {
      try {
        do {
          this.deliverAgain = false;
          await this.delivery.runOnce();
        } while (this.deliverAgain && !this.stopped);
      } catch (error) {
        this.logger.error({ err: error }, 'alert delivery pass failed');
      } finally {
        this.delivering = null;
      }
    })();
  }

  private async runScheduled(): Promise<void> {
    if (this.scheduling || this.stopped) return;
    this.scheduling = this.evaluateScheduled()
      .catch((error: unknown) => this.logger.error({ err: error }, 'scheduled alert evaluation failed'))
      .finally(() => (this.scheduling = null));
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await Promise.allSettled([this.delivering, this.scheduling]);
  }
}
