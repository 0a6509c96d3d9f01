import type { OnApplicationShutdown } from '@nestjs/common';

interface Closable {
  stop?(): Promise<void>;
  disconnect?(): Promise<void>;
  close?(): Promise<void>;
  /** Consumers that track progress name their stalled partitions here (ConsumerRunner). */
  stalls?(): string[];
}

/**
 * Closes Kafka consumers and producers when Nest shuts down (enableShutdownHooks → SIGTERM), consumers
 * first so the batch in hand finishes and its offsets are committed before producers go.
 */
export class KafkaLifecycle implements OnApplicationShutdown {
  private readonly consumers: Closable[] = [];
  private readonly producers: Closable[] = [];

  addConsumer(c: Closable): void {
    this.consumers.push(c);
  }
  addProducer(p: Closable): void {
    this.producers.push(p);
  }

  /** For `/readyz`: fails, naming each topic and partition, while any consumer has a stalled or held partition. */
  readiness(): { name: string; check(): Promise<void> } {
    return {
      name: 'consumers',
      check: async () => {
        const stalls = this.consumers.flatMap((c) => c.stalls?.() ?? []);
        if (stalls.length > 0) throw new Error(`degraded: ${stalls.join('; ')}`);
      },
    };
  }

  async onApplicationShutdown(): Promise<void> {
    for (const c of this.consumers) await (c.stop ?? c.disconnect ?? c.close)?.call(c);
    for (const p of this.producers) await (p.disconnect ?? p.close ?? p.stop)?.call(p);
  }
}
