import { z } from 'zod';
import { AcceptedEvent, AuditEventInput, CommittedRecord } from './audit-event';
import { AlertMessageV2 } from './alert-message';
import { hex32, tenantId, timestamp } from './primitives';

export const CheckpointMessage = z.strictObject({
  tenant: tenantId,
  size: z.number().int().nonnegative(),
  rootHash: hex32,
  /** The full signed note text (C2SP checkpoint format): verifiable on its own. */
  note: z.string().max(8192),
  signedAt: timestamp,
});

export const DeadLetter = z.strictObject({
  reason: z.string().max(8192),
  issues: z.array(z.strictObject({ path: z.string(), message: z.string() })).default([]),
  sourceTopic: z.string(),
  partition: z.number().int().nonnegative(),
  offset: z.string(),
  /** The original message bytes, base64, so nothing is lost even when it could not be parsed. */
  originalValue: z.string(),
  originalKey: z.string().nullable(),
  failedAt: timestamp,
  service: z.string(),
});

export const AlertMessage = z.strictObject({
  tenant: tenantId,
  alertId: z.string().max(128),
  ruleId: z.string().max(128),
  ruleVersion: z.number().int().positive(),
  severity: z.enum(['info', 'low', 'medium', 'high', 'critical']),
  title: z.string().max(512),
  firedAt: timestamp,
  matchedSeqs: z.array(z.number().int().positive()).max(1000),
});

/** Events from trusted in-cluster emitters: like the HTTP body, plus the tenant the emitter writes for. */
export const IntakeMessage = z.strictObject({ tenant: tenantId, event: AuditEventInput });

/**
 * The one map of topics: versioned names, each with the schema of its payload. Every topic is keyed by
 * tenant, so one tenant's events stay in one partition and keep their order.
 */
export const TOPICS = {
  intake: { name: 'audit.intake.v1', schema: IntakeMessage },
  ingested: { name: 'audit.ingested.v1', schema: AcceptedEvent },
  committed: { name: 'audit.committed.v1', schema: CommittedRecord },
  checkpoints: { name: 'audit.checkpoints.v1', schema: CheckpointMessage },
  dlq: { name: 'audit.dlq.v1', schema: DeadLetter },
  /** Version 1 or version 2 (`schemaVersion: 2`, with state transitions and links) messages. */
  alerts: { name: 'audit.alerts.v1', schema: z.union([AlertMessageV2, AlertMessage]) },
} as const;

export type TopicKey = keyof typeof TOPICS;
export type TopicPayload<K extends TopicKey> = z.output<(typeof TOPICS)[K]['schema']>;

/**
 * The name of a topic on the cluster. A namespace (config `KAFKA_TOPIC_NAMESPACE`) prefixes every name so
 * that several environments — or test runs — can share one cluster without reading each other's events.
 */
export function topicName(key: TopicKey, namespace = ''): string {
  return namespace ? `${namespace}.${TOPICS[key].name}` : TOPICS[key].name;
}
