/**
 * Per-partition progress of one consumer, pure (time comes in as an argument): what was fetched (the
 * high watermark the broker reported), where the consumer stands (the next offset it has not finished),
 * and when it last moved. A partition with waiting messages that has not moved for `stallAfterMs` is
 * stalled; a partition its handler refuses to go past (see PartitionHeldError) is held, with the reason.
 */
export interface PartitionState {
  partition: number;
  /** The next offset the consumer has not finished (first offset of the batch in hand). */
  position: bigint;
  highWatermark: bigint;
  /** When `position` last moved forward, or when the partition was first seen (ms). */
  movedAt: number;
  /** Why the handler holds the partition, while it does. */
  heldReason: string | null;
  /** Last handler failure while it does not move, for the readiness message. */
  lastError: string | null;
}

export interface PartitionReport {
  partition: number;
  lag: number;
  stalled: boolean;
  /** Milliseconds since the partition last moved. */
  stuckForMs: number;
  held: string | null;
  lastError: string | null;
}

export class PartitionProgress {
  private readonly partitions = new Map<number, PartitionState>();

  constructor(private readonly stallAfterMs: number) {}

  /** A batch was fetched: the consumer stands at `firstOffset`, the broker holds up to `highWatermark`. */
  fetched(partition: number, firstOffset: string, highWatermark: string, now: number): void {
    const state = this.state(partition, BigInt(firstOffset), now);
    const position = BigInt(firstOffset);
    // A batch that starts past the stored position means the consumer moved (or was moved) on.
    if (position > state.position) this.move(state, position, now);
    state.highWatermark = BigInt(highWatermark);
  }

  /** The batch ending at `lastOffset` (inclusive) is done and committed. */
  done(partition: number, lastOffset: string, highWatermark: string, now: number): void {
    const next = BigInt(lastOffset) + 1n;
    const state = this.state(partition, next, now);
    if (next > state.position) this.move(state, next, now);
    state.highWatermark = BigInt(highWatermark);
    state.heldReason = null;
    state.lastError = null;
  }

  failed(partition: number, error: string): void {
    const state = this.partitions.get(partition);
    if (state) state.lastError = error;
  }

  held(partition: number, reason: string): void {
    const state = this.partitions.get(partition);
    if (state) state.heldReason = reason;
  }

  /** Partitions this consumer no longer owns (rebalance) are not its stalls. */
  forget(partition: number): void {
    this.partitions.delete(partition);
  }

  report(now: number): PartitionReport[] {
    return [...this.partitions.values()]
      .sort((a, b) => a.partition - b.partition)
      .map((s) => {
        const lag = s.highWatermark > s.position ? Number(s.highWatermark - s.position) : 0;
        const stuckForMs = now - s.movedAt;
        return {
          partition: s.partition,
          lag,
          stalled: s.heldReason !== null || (lag > 0 && stuckForMs >= this.stallAfterMs),
          stuckForMs,
          held: s.heldReason,
          lastError: s.lastError,
        };
      });
  }

  private state(partition: number, position: bigint, now: number): PartitionState {
    let state = this.partitions.get(partition);
    if (!state) {
      state = { partition, position, highWatermark: position, movedAt: now, heldReason: null, lastError: null };
      this.partitions.set(partition, state);
    }
    return state;
  }

  private move(state: PartitionState, position: bigint, now: number): void {
    state.position = position;
    state.movedAt = now;
  }
}

/** One line per stalled partition, for `/readyz` and the logs: names the topic and partition and why. */
export function describeStall(topic: string, r: PartitionReport): string {
  const why = r.held ? `held: ${r.held}` : `${r.lag} message(s) waiting, no progress for ${Math.round(r.stuckForMs / 1000)} s${r.lastError ? ` (last error: ${r.lastError})` : ''}`;
  return `${topic} partition ${r.partition} ${why}`;
}
