import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { topicName } from '@audit/contracts';
import type { Pool } from '@audit/db';
import { ensureTopics, KafkaPublisher, type Kafka } from '@audit/kafka';
import { KafkaLifecycle } from '@audit/kafka/nest';
import { counter, gauge, histogram, type Gauge, type Logger, type Registry } from '@audit/observability';
import { InjectConfig, InjectKafka, InjectLogger, InjectMetrics, InjectPool } from '@audit/service-shell';
import type { QueryConfig } from '../config';
import { OutboundPolicy } from '../outbound/outbound-policy';
import { resolveSinkToken } from './siem.config';
import { SiemSink, type SiemMetrics, type SiemSinkStatus } from './siem-sink';

type Admin = ReturnType<Kafka['admin']>;

/**
 * Starts one SiemSink per configured sink (none when `SIEM_SINKS` is empty), each on its own consumer
 * group `<QUERY_CONSUMER_GROUP_PREFIX>-siem-<name>`, and measures every sink's lag periodically —
 * high watermark minus the group's committed offset, per partition — so a sink whose receiver is down
 * shows up in `/metrics` however long its batch waits.
 */
@Injectable()
export class SiemSinks implements OnApplicationBootstrap {
  private readonly sinks: SiemSink[] = [];
  private admin: Admin | undefined;
  private lagTimer: NodeJS.Timeout | undefined;
  private lagGauge: Gauge | undefined;
  private readonly logger: Logger;

  constructor(
    @InjectConfig() private readonly config: QueryConfig,
    @InjectKafka() private readonly kafka: Kafka,
    @InjectPool() private readonly pool: Pool,
    @InjectLogger() logger: Logger,
    @InjectMetrics() private readonly registry: Registry,
    private readonly publisher: KafkaPublisher,
    @Inject(KafkaLifecycle) private readonly lifecycle: KafkaLifecycle,
    private readonly outbound: OutboundPolicy,
  ) {
    this.logger = logger.child({ feature: 'siem' });
  }

  async onApplicationBootstrap(): Promise<void> {
    const configured = this.config.SIEM_SINKS;
    if (configured.length === 0) return;
    // Resolve every secret before starting anything: a missing one stops the boot, naming the sink.
    const tokens = configured.map((sink) => resolveSinkToken(sink));
    // A URL that could never be reached stops the boot, naming the sink and the rule; DNS is checked per send.
    for (const sink of configured) {
      const refused = this.outbound.checkForm(sink.url);
      if (refused) throw new Error(`SIEM sink "${sink.name}": url refused (${refused.rule}): ${refused.message}; allow it with OUTBOUND_ALLOW_HOSTS or OUTBOUND_ALLOW_CIDRS`);
    }
    const ns = this.config.KAFKA_TOPIC_NAMESPACE;
    const topic = topicName('committed', ns);
    await ensureTopics(this.kafka, [{ name: topic }, { name: topicName('dlq', ns) }]);
    const metrics: SiemMetrics = {
      delivered: counter(this.registry, 'query_siem_delivered_events_total', 'committed records a SIEM receiver acknowledged', ['sink']),
      requests: counter(this.registry, 'query_siem_requests_total', 'requests to SIEM receivers by outcome (delivered, retry, split, rejected)', ['sink', 'outcome']),
      requestSeconds: histogram(this.registry, 'query_siem_request_seconds', 'time of one request to a SIEM receiver', ['sink']),
      failing: gauge(this.registry, 'query_siem_failing', '1 while the batch in hand has failed and waits for a retry', ['sink']),
      configError: gauge(this.registry, 'query_siem_config_error', '1 while the receiver refuses requests as wrong (4xx other than 408/429)', ['sink']),
      lastDelivered: gauge(this.registry, 'query_siem_last_delivered_timestamp_seconds', 'when the receiver last acknowledged a request', ['sink']),
    };
    this.lagGauge = gauge(this.registry, 'query_siem_lag_messages', 'committed records not yet delivered (high watermark - committed offset)', ['sink', 'partition']);
    // Registered before the consumers start so shutdown stops them even if a later start fails.
    this.lifecycle.addConsumer(this);
    configured.forEach((sinkConfig, i) => {
      this.sinks.push(
        new SiemSink(sinkConfig, {
          kafka: this.kafka,
          outbound: this.outbound,
          pool: this.pool,
          dlq: this.publisher,
          logger: this.logger,
          metrics,
          topic,
          groupId: this.groupId(sinkConfig.name),
          token: tokens[i],
        }),
      );
    });
    for (const sink of this.sinks) await sink.start();
    this.admin = this.kafka.admin();
    await this.admin.connect();
    this.lagTimer = setInterval(() => void this.measureLag(topic), this.config.SIEM_LAG_INTERVAL_MS);
    this.lagTimer.unref();
  }

  groupId(sink: string): string {
    return `${this.config.QUERY_CONSUMER_GROUP_PREFIX}-siem-${sink}`;
  }

  status(): SiemSinkStatus[] {
    return this.sinks.map((s) => s.status());
  }

  /** Called by KafkaLifecycle on shutdown, before the producers close. */
  async stop(): Promise<void> {
    clearInterval(this.lagTimer);
    await Promise.all(this.sinks.map((s) => s.stop()));
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
  }

  /** Lag per sink and partition; exported for tests (the timer calls it). */
  async measureLag(topic = topicName('committed', this.config.KAFKA_TOPIC_NAMESPACE)): Promise<Record<string, Record<number, number>>> {
    const result: Record<string, Record<number, number>> = {};
    if (!this.admin || !this.lagGauge) return result;
    try {
      const ends = await this.admin.fetchTopicOffsets(topic);
      for (const sink of this.sinks) {
        const [committed] = await this.admin.fetchOffsets({ groupId: this.groupId(sink.config.name), topics: [topic] });
        const perSink: Record<number, number> = {};
        for (const end of ends) {
          const offset = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
          const from = offset === '-1' ? BigInt(end.low) : BigInt(offset);
          const lag = Math.max(0, Number(BigInt(end.high) - from));
          perSink[end.partition] = lag;
          this.lagGauge.set({ sink: sink.config.name, partition: String(end.partition) }, lag);
        }
        result[sink.config.name] = perSink;
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'could not measure SIEM sink lag');
    }
    return result;
  }
}
