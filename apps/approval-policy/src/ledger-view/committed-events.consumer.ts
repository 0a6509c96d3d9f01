import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { CommittedRecord, topicName } from '@audit/contracts';
import { withTransaction, type Pool } from '@audit/db';
import { ConsumerRunner, ensureTopics, KafkaPublisher, type Kafka } from '@audit/kafka';
import { KafkaLifecycle } from '@audit/kafka/nest';
import type { Logger, Registry } from '@audit/observability';
import { InjectConfig, InjectKafka, InjectLogger, InjectMetrics, InjectPool } from '@audit/service-shell';
import type { ApprovalPolicyConfig } from '../app.module';
import { viewConsumerGroup } from '../config';
import { ChangeViewRepository } from './change-view.repository';

/** Keeps the change view up to date from `audit.committed.v1` (its own consumer group; commit after the DB). */
@Injectable()
export class CommittedEventsConsumer implements OnApplicationBootstrap {
  constructor(
    @InjectKafka() private readonly kafka: Kafka,
    @InjectPool() private readonly pool: Pool,
    @InjectLogger() private readonly logger: Logger,
    @InjectMetrics() private readonly metrics: Registry,
    @InjectConfig() private readonly config: ApprovalPolicyConfig,
    @Inject(KafkaPublisher) private readonly publisher: KafkaPublisher,
    @Inject(KafkaLifecycle) private readonly lifecycle: KafkaLifecycle,
    private readonly view: ChangeViewRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const ns = this.config.KAFKA_TOPIC_NAMESPACE;
    await ensureTopics(this.kafka, [{ name: topicName('ingested', ns) }, { name: topicName('committed', ns) }, { name: topicName('dlq', ns) }], {
      partitions: this.config.KAFKA_TOPIC_PARTITIONS,
      logger: this.logger,
    });
    if (!this.config.VIEW_CONSUMER_ENABLED) return;
    const runner = new ConsumerRunner({
      kafka: this.kafka,
      groupId: viewConsumerGroup(this.config),
      topic: topicName('committed', ns),
      schema: CommittedRecord,
      service: 'approval-policy',
      logger: this.logger,
      dlq: this.publisher,
      stallAfterMs: this.config.CONSUMER_STALL_SECONDS * 1000,
      metrics: this.metrics,
      handle: async (records) => {
        const applied = await withTransaction(this.pool, (client) =>
          this.view.apply(
            client,
            records.map((r) => r.value),
          ),
        );
        this.logger.debug({ records: records.length, applied }, 'change view updated');
      },
    });
    this.lifecycle.addConsumer(runner);
    await runner.start();
  }
}
