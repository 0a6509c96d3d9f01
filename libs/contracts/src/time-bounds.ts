/**
 * Sane times for `occurredAt` (documented in libs/contracts/README.md):
 *
 * - `floor` is enforced by the event schemas themselves (every door, the ledger's consumer included):
 *   nothing before the Unix epoch is an infrastructure change, and negative epoch milliseconds break
 *   date maths downstream.
 * - `defaultEarliest` is what ingest refuses below unless configured otherwise
 *   (`EVENT_EARLIEST_OCCURRED_AT`): 2000-01-01 refuses the two common "unset" clocks — Go's zero
 *   `time.Time` (0001-01-01T00:00:00Z) and Unix time 0 (1970-01-01T00:00:00Z) — while leaving room to
 *   import years of history.
 * - `maxFutureSkewMs`: emitters' clocks drift, but not by more than this.
 */
export const TIME_BOUNDS = {
  floor: '1970-01-01T00:00:00.000Z',
  defaultEarliest: '2000-01-01T00:00:00.000Z',
  maxFutureSkewMs: 5 * 60_000,
} as const;

export interface OccurredAtBounds {
  /** Earliest acceptable occurredAt (inclusive). */
  earliest: Date;
  /** How far after receipt an event may claim to have happened. */
  maxFutureSkewMs: number;
}

export const DEFAULT_OCCURRED_AT_BOUNDS: OccurredAtBounds = { earliest: new Date(TIME_BOUNDS.defaultEarliest), maxFutureSkewMs: TIME_BOUNDS.maxFutureSkewMs };

/** Why `occurredAt` is out of bounds for an event received at `receivedAt` (the rule, in words), or undefined. */
export function occurredAtProblem(occurredAt: string, receivedAt: Date, bounds: OccurredAtBounds = DEFAULT_OCCURRED_AT_BOUNDS): string | undefined {
  const at = Date.parse(occurredAt);
  if (Number.isNaN(at)) return 'must be an RFC 3339 timestamp with a time zone';
  if (at < bounds.earliest.getTime()) return `must not be before ${bounds.earliest.toISOString()} (the earliest occurredAt accepted)`;
  if (at > receivedAt.getTime() + bounds.maxFutureSkewMs) return `must not be more than ${bounds.maxFutureSkewMs / 60_000} minutes in the future`;
  return undefined;
}

/** The schema-level floor, for the event schemas' refinement. */
export function beforeFloor(occurredAt: string): boolean {
  return Date.parse(occurredAt) < Date.parse(TIME_BOUNDS.floor);
}
