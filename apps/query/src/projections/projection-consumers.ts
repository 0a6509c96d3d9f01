import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { CommittedRecord, topicName } from '@audit/contracts';
import type { Pool } from '@audit/db';
import { ConsumerRunner, ensureTopics, KafkaPublisher, type Kafka } from '@audit/kafka';
import { KafkaLifecycle } from '@audit/kafka/nest';
import { redactedSeqs } from '@audit/ledger-store';
import { gauge, histogram, type Logger, type Registry } from '@audit/observability';
import { InjectConfig, InjectKafka, InjectLogger, InjectMetrics, InjectOpenSearch, InjectPool } from '@audit/service-shell';
import type { ProjectionName, QueryConfig } from '../config';
import { OpenSearchEventsProjector } from './opensearch/opensearch-events.projector';
import { LifecycleProjector } from './postgres/lifecycle.projector';

/**
 * Starts one consumer group per projection on `audit.committed.v1`. Each keeps its own offsets, so a slow
 * or rebuilding projection never holds the other back, and each reports its lag
 * (high watermark − committed offset, per partition) after every batch.
 */
@Injectable()
export class ProjectionConsumers implements OnApplicationBootstrap {
  constructor(
    @InjectConfig() private readonly config: QueryConfig,
    @InjectKafka() private readonly kafka: Kafka,
    @InjectPool() private readonly pool: Pool,
    @InjectOpenSearch() private readonly opensearch: OpenSearchClient,
    @InjectLogger() private readonly logger: Logger,
    @InjectMetrics() private readonly metrics: Registry,
    private readonly publisher: KafkaPublisher,
    @Inject(KafkaLifecycle) private readonly lifecycle: KafkaLifecycle,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const ns = this.config.KAFKA_TOPIC_NAMESPACE;
    await ensureTopics(this.kafka, [{ name: topicName('committed', ns) }, { name: topicName('ingested', ns) }, { name: topicName('dlq', ns) }], {
      partitions: this.config.KAFKA_TOPIC_PARTITIONS,
      logger: this.logger,
    });
    if (this.config.QUERY_PROJECTORS.length === 0) return;
    const redactions = (tenant: string, from: number, to: number) => redactedSeqs(this.pool, tenant, from, to);
    const openSearch = new OpenSearchEventsProjector(this.opensearch, this.config.OPENSEARCH_INDEX_PREFIX, this.logger, redactions);
    if (this.config.QUERY_PROJECTORS.includes('opensearch')) await openSearch.ensureTemplate();
    const lag = gauge(this.metrics, 'query_projection_lag_messages', 'committed records not yet projected (high watermark - committed offset)', ['projection', 'partition']);
    const batchSeconds = histogram(this.metrics, 'query_projection_batch_seconds', 'time to project one batch', ['projection']);
    const lifecycle = new LifecycleProjector(this.pool, this.logger, redactions);
    const handlers: Record<ProjectionName, (records: CommittedRecord[], consumed: Parameters<OpenSearchEventsProjector['apply']>[0]) => Promise<unknown>> = {
      postgres: (records) => lifecycle.apply(records),
      opensearch: (_records, consumed) => openSearch.apply(consumed),
    };
    for (const projection of this.config.QUERY_PROJECTORS) {
      const runner = new ConsumerRunner<CommittedRecord>({
        kafka: this.kafka,
        groupId: `${this.config.QUERY_CONSUMER_GROUP_PREFIX}-projector-${projection}`,
        topic: topicName('committed', ns),
        schema: CommittedRecord,
        service: 'query',
        logger: this.logger.child({ projection }),
        dlq: this.publisher,
        stallAfterMs: this.config.CONSUMER_STALL_SECONDS * 1000,
        metrics: this.metrics,
        onBatchFetched: ({ partition, lag: waiting }) => lag.set({ projection, partition: String(partition) }, waiting),
        handle: async (consumed) => {
          const end = batchSeconds.startTimer({ projection });
          await handlers[projection](
            consumed.map((c) => c.value),
            consumed,
          );
          end();
        },
        onBatchDone: ({ partition, lastOffset, highWatermark }) => {
          lag.set({ projection, partition: String(partition) }, Math.max(0, Number(BigInt(highWatermark) - BigInt(lastOffset) - 1n)));
        },
      });
      this.lifecycle.addConsumer(runner);
      await runner.start();
      this.logger.info({ projection, topic: topicName('committed', ns) }, 'projection consumer started');
    }
  }
}
