import { z } from 'zod';
import { tenantId, timestamp } from './primitives';

export const ALERT_STATES = ['firing', 'acknowledged', 'resolved'] as const;
export const ALERT_TRANSITIONS = ['fired', 'refired', 'acknowledged', 'resolved'] as const;

/**
 * Version 2 of the message on `audit.alerts.v1`: version 1 (`AlertMessage`) could only say "fired", so
 * acknowledgements and resolutions, the dedupe key and the links to the evidence had nowhere to go. The
 * literal `schemaVersion` keeps the two apart (version 1 is strict and has no such field).
 */
export const AlertMessageV2 = z.strictObject({
  schemaVersion: z.literal(2),
  tenant: tenantId,
  alertId: z.string().max(128),
  ruleId: z.string().max(128),
  ruleVersion: z.number().int().nonnegative(),
  severity: z.enum(['info', 'low', 'medium', 'high', 'critical']),
  title: z.string().max(512),
  /** What happened to the alert in this message. */
  transition: z.enum(ALERT_TRANSITIONS),
  state: z.enum(ALERT_STATES),
  /** Dedupe key within the rule (e.g. the actor for a per-actor frequency rule); empty when ungrouped. */
  groupKey: z.string().max(512),
  firedAt: timestamp,
  changedAt: timestamp,
  /** Who acknowledged or resolved it (JWT `sub`); absent for firings. */
  changedBy: z.string().max(256).optional(),
  fireCount: z.number().int().positive(),
  matchedSeqs: z.array(z.number().int().positive()).max(1000),
  links: z.strictObject({
    alert: z.string().max(2048),
    events: z.array(z.strictObject({ seq: z.number().int().positive(), inclusionProof: z.string().max(2048) })).max(1000),
    changes: z.array(z.strictObject({ changeId: z.string().max(128), story: z.string().max(2048) })).max(100),
  }),
});
export type AlertMessageV2 = z.output<typeof AlertMessageV2>;
