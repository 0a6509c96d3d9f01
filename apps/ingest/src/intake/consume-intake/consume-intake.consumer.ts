import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { IntakeMessage, occurredAtProblem, reservedAssertion, topicName, type TopicPayload } from '@audit/contracts';
import { ConsumerRunner, ensureTopics, KafkaPublisher, PoisonMessageError, type ConsumedRecord, type Kafka } from '@audit/kafka';
import { serviceSignedMessage } from '@audit/ledger-core';
import type { Logger } from '@audit/observability';
import { InjectConfig, InjectKafka, InjectLogger } from '@audit/service-shell';
import { CLOCK, type Clock } from '../../clock';
import { occurredAtBounds, type IngestConfig } from '../../config';
import { SECRET_SCANNER } from '../../events/accept-events/accept-events.handler';
import { stampEvents } from '../../events/accept-events/accept-events.stamp';
import type { SecretScanner } from '../../events/secret-scan/secret-scanner';
import { intakeEventId } from './consume-intake.stamp';

type Intake = TopicPayload<'intake'>;

/**
 * Consumes `audit.intake.v1` (emitters inside the cluster): same validation as HTTP, valid events
 * stamped and published to `audit.ingested.v1`, offsets committed only after that; anything unparseable or
 * invalid goes to `audit.dlq.v1` with the reason and the original bytes (ConsumerRunner), never stalling.
 *
 * An intake message carries no credential of its own: what let it in is the Kafka connection of whoever
 * wrote it (ACLs, SASL), which we cannot see per message. So its provenance says exactly that (kind
 * `intake`, the topic), and reserved assertions are refused here as at every door (dead-lettered).
 */
@Injectable()
export class ConsumeIntakeConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private runner: ConsumerRunner<Intake> | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    @InjectKafka() private readonly kafka: Kafka,
    private readonly publisher: KafkaPublisher,
    @InjectConfig() private readonly config: IngestConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @InjectLogger() private readonly logger: Logger,
    @Inject(SECRET_SCANNER) private readonly scanner: SecretScanner,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.INTAKE_ENABLED) return;
    // In the background: ingest must serve HTTP (and answer 503) even while Kafka is down at boot.
    void this.start();
  }

  private async start(): Promise<void> {
    if (this.stopped) return;
    const ns = this.config.KAFKA_TOPIC_NAMESPACE;
    try {
      await ensureTopics(this.kafka, [
        { name: topicName('intake', ns) },
        { name: topicName('ingested', ns) },
        { name: topicName('dlq', ns), config: { 'retention.ms': String(30 * 24 * 3600_000) } },
      ], { partitions: this.config.KAFKA_TOPIC_PARTITIONS, logger: this.logger });
      const runner = new ConsumerRunner<Intake>({
        kafka: this.kafka,
        groupId: ns ? `${ns}.${this.config.INTAKE_GROUP_ID}` : this.config.INTAKE_GROUP_ID,
        topic: topicName('intake', ns),
        schema: IntakeMessage,
        service: 'ingest',
        logger: this.logger.child({ component: 'intake' }),
        dlq: this.publisher,
        handle: (records) => this.handle(records),
      });
      await runner.start();
      this.runner = runner;
      this.logger.info({ topic: topicName('intake', ns) }, 'intake consumer started');
    } catch (error) {
      this.logger.warn({ err: error }, 'intake consumer could not start; retrying in 5 s');
      this.retry = setTimeout(() => void this.start(), 5_000);
    }
  }

  private async handle(records: ConsumedRecord<Intake>[]): Promise<void> {
    const now = this.clock();
    for (const r of records) {
      const time = occurredAtProblem(r.value.event.occurredAt, now, occurredAtBounds(this.config));
      if (time !== undefined) throw new PoisonMessageError(r.offset, `event.occurredAt ${time}`);
      const reserved = reservedAssertion(r.value.event);
      if (reserved) throw new PoisonMessageError(r.offset, `${reserved.path}: ${reserved.message}`);
    }
    const topic = topicName('intake', this.config.KAFKA_TOPIC_NAMESPACE);
    const accepted = records.flatMap((r) => {
      const receivedAt = new Date(Number(r.timestamp));
      const id = intakeEventId({ topic, partition: r.partition, offset: r.offset }, receivedAt);
      return stampEvents([r.value.event], { tenant: r.value.tenant, ids: [id], receivedAt, provenance: { kind: 'intake', id: topic, auth: 'kafka-acl', scopes: [], via: 'intake' }, scanner: this.scanner }).events;
    });
    // Throws on failure: the runner retries the batch with backoff and commits only after success.
    await this.publisher.publish('ingested', accepted.map((e) => ({ key: e.tenant, ...serviceSignedMessage(this.config.SERVICE_CREDENTIAL_SECRET, e) })));
    this.logger.info({ count: accepted.length, eventIds: accepted.map((e) => e.id) }, 'intake events accepted');
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.runner?.stop();
  }
}
