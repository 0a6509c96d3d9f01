import { z } from 'zod';

/** Environment of the alerting feature (spread into the query service's env in config.ts). */
export const alertingEnv = {
  /** Run the alerting consumers, scheduler and delivery worker in this instance (the API is always served). */
  ALERTING_ENABLED: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /** How often scheduled rules (spike, cardinality, flatline) and sequence deadlines are evaluated; 0 = only on demand. */
  ALERT_SCHEDULE_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(15_000),
  /** How often the delivery worker looks for due outbox rows (it is also woken right after every firing). */
  ALERT_DELIVERY_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  /** Webhook attempts before a delivery becomes a dead letter; delays double from the base. */
  ALERT_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(8),
  ALERT_WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(10).max(600_000).default(2_000),
  ALERT_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** Base URL of this service as clients reach it (links in alerts to the alert and to change stories). */
  QUERY_PUBLIC_URL: z.string().url().default('http://127.0.0.1:3004'),
};
