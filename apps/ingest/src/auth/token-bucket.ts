/**
 * Token bucket per API key. In memory, per instance: with N replicas a key gets up to N× the rate. That is
 * acceptable as abuse protection (the durable guarantees live in Kafka/Postgres); a shared limiter (Redis,
 * or Postgres) is the follow-up if a hard global quota is ever needed.
 */
export interface TokenBucketOptions {
  ratePerSecond: number;
  burst: number;
  /** Buckets idle this long are forgotten, so the map stays bounded by the active keys. */
  idleMs?: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export type TakeResult = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly idleMs: number;

  constructor(private readonly options: TokenBucketOptions) {
    this.idleMs = options.idleMs ?? 10 * 60_000;
  }

  take(key: string, nowMs: number, cost = 1): TakeResult {
    const { ratePerSecond, burst } = this.options;
    const bucket = this.buckets.get(key) ?? { tokens: burst, updatedMs: nowMs };
    const elapsed = Math.max(0, nowMs - bucket.updatedMs) / 1000;
    bucket.tokens = Math.min(burst, bucket.tokens + elapsed * ratePerSecond);
    bucket.updatedMs = nowMs;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 10_000) this.evictIdle(nowMs);
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return { allowed: true };
    }
    const missing = Math.min(cost, burst) - bucket.tokens;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(missing / ratePerSecond)) };
  }

  private evictIdle(nowMs: number): void {
    for (const [k, b] of this.buckets) if (nowMs - b.updatedMs > this.idleMs) this.buckets.delete(k);
  }
}
