import { z } from 'zod';
import { AuditEventInput, EVENT_LIMITS } from './audit-event';
import { timestamp, uuidV7 } from './primitives';

/** Body of `POST /v1/events:batch`: all-or-nothing, at most 500 events and 1 MiB. */
export const EventBatchRequest = z.strictObject({
  events: z.array(AuditEventInput).min(1).max(EVENT_LIMITS.maxBatchEvents),
});
export type EventBatchRequest = z.input<typeof EventBatchRequest>;

/** 202 answer for one event: the id it will carry in the ledger and when ingest received it. */
export const AcceptedResponse = z.strictObject({
  id: uuidV7,
  receivedAt: timestamp,
  /** How many secrets in the event's text were replaced by `[REDACTED:…]` markers (absent on a replay). */
  redacted: z.number().int().nonnegative().optional(),
});
export type AcceptedResponse = z.output<typeof AcceptedResponse>;

/** 202 answer for a batch (and for adapters, which may turn one payload into several events). */
export const BatchAcceptedResponse = z.strictObject({
  ids: z.array(uuidV7),
  receivedAt: timestamp,
  redacted: z.number().int().nonnegative().optional(),
});
export type BatchAcceptedResponse = z.output<typeof BatchAcceptedResponse>;

/** One problem in a request: `index` names the event of a batch (or the item of an adapter payload). */
export const ProblemIssue = z.strictObject({
  index: z.number().int().nonnegative().optional(),
  path: z.string(),
  message: z.string(),
});
export type ProblemIssue = z.output<typeof ProblemIssue>;

/** RFC 9457 problem details, as every 4xx/5xx of the ingest API answers (`application/problem+json`). */
export const Problem = z.strictObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int().min(400).max(599),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(ProblemIssue).optional(),
});
export type Problem = z.output<typeof Problem>;
