import { z } from 'zod';
import { checkCommittable } from './committable';
import { Provenance } from './provenance';
import { beforeFloor, TIME_BOUNDS } from './time-bounds';
import { boundedJsonObject, hex32, httpsUrl, line, sha256Digest, slug, tenantId, text, timestamp, uuidV7 } from './primitives';

/**
 * Every event type the ledger accepts. Types are versioned by the `version` field of the event; a new
 * shape for an existing type means a new version, never a silent change.
 */
export const EVENT_TYPES = [
  'change.requested',
  'change.cancelled',
  'plan.created',
  'approval.granted',
  'approval.rejected',
  'approval.revoked',
  'deployment.started',
  'deployment.succeeded',
  'deployment.failed',
  'deployment.partially_failed',
  'deployment.cancelled',
  'config.changed',
  'access.granted',
  'access.revoked',
  'policy.published',
  'policy.evaluated',
  'gate.decided',
  'breakglass.invoked',
  'breakglass.reviewed',
  'review.submitted',
  'workflow.completed',
  'k8s.request',
  'audit.read',
  'alert.fired',
  'alert.rule.changed',
  'export.created',
  'retention.applied',
  'legal_hold.changed',
  'ledger.verified',
  /** System event: an accepted event the ledger could not append (names its id, digest and the reason); the original went to the DLQ. */
  'ledger.append_failed',
  /** System event: an operator reset a partition's stored position (another topic incarnation), `audit-ledger ledger reset-position`. */
  'ledger.position_reset',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const OUTCOMES = ['succeeded', 'failed', 'partially_failed', 'cancelled', 'rejected', 'allowed', 'denied', 'unknown'] as const;

export const SCHEMA_VERSION = 1 as const;

/** Documented size limits (also in README): enforced on every event before it is accepted. */
export const EVENT_LIMITS = { maxEventBytes: 64 * 1024, maxRoles: 64, maxBatchEvents: 500, maxBatchBytes: 1024 * 1024 } as const;

export const Actor = z.strictObject({
  id: line(256),
  type: z.enum(['user', 'service', 'pipeline']),
  /** Roles and teams the actor held at the moment of the event: this is what auditors read later. */
  roles: z.array(slug(128)).max(EVENT_LIMITS.maxRoles).default([]),
  teams: z.array(slug(128)).max(EVENT_LIMITS.maxRoles).default([]),
  displayName: line(256).optional(),
});

export const Resource = z.strictObject({
  kind: slug(128),
  id: line(512),
  environment: slug(64),
  name: line(256).optional(),
});

export const Artifact = z.strictObject({
  digest: sha256Digest,
  kind: slug(64).default('container-image'),
  uri: line(2048).optional(),
});

export const Commit = z.strictObject({
  repo: line(512),
  sha: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'must be a 40 or 64 character lowercase hex git sha'),
  author: line(256).optional(),
});

export const Source = z.strictObject({
  system: slug(64),
  pipeline: line(256).optional(),
  runId: line(256).optional(),
  url: httpsUrl.optional(),
});

export const PlanSummary = z.strictObject({
  adds: z.number().int().nonnegative(),
  changes: z.number().int().nonnegative(),
  destroys: z.number().int().nonnegative(),
  replacements: z.number().int().nonnegative(),
  iamChanges: z.number().int().nonnegative().default(0),
  securityGroupChanges: z.number().int().nonnegative().default(0),
  drift: z.number().int().nonnegative().default(0),
  resourceTypes: z.array(slug(128)).max(256).default([]),
});

export const Plan = z.strictObject({
  /** Digest of the exact plan bytes reviewed: approvals are bound to it. */
  digest: sha256Digest,
  summary: PlanSummary.optional(),
});

export const Access = z.strictObject({
  principal: line(256),
  role: slug(128),
  scope: line(512).optional(),
});

const eventFields = {
  version: z.literal(SCHEMA_VERSION).default(SCHEMA_VERSION),
  type: z.enum(EVENT_TYPES),
  occurredAt: timestamp,
  actor: Actor,
  resource: Resource,
  changeId: line(128).optional(),
  artifact: Artifact.optional(),
  commit: Commit.optional(),
  source: Source.optional(),
  plan: Plan.optional(),
  access: Access.optional(),
  outcome: z.enum(OUTCOMES).optional(),
  reason: text(4096).optional(),
  details: boundedJsonObject.optional(),
  idempotencyKey: line(256).optional(),
};

/** Per-type required fields: the part of an event a reviewer cannot do without. */
const REQUIRED_BY_TYPE: Partial<Record<EventType, readonly (keyof typeof eventFields)[]>> = {
  'change.requested': ['changeId'],
  'change.cancelled': ['changeId', 'reason'],
  'plan.created': ['changeId', 'plan'],
  'approval.granted': ['changeId', 'plan'],
  'approval.rejected': ['changeId', 'plan', 'reason'],
  'approval.revoked': ['changeId', 'reason'],
  'deployment.started': ['changeId', 'artifact'],
  'deployment.succeeded': ['changeId', 'artifact', 'outcome'],
  'deployment.failed': ['changeId', 'outcome'],
  'deployment.partially_failed': ['changeId', 'outcome'],
  'deployment.cancelled': ['changeId', 'reason'],
  'access.granted': ['access'],
  'access.revoked': ['access'],
  'gate.decided': ['changeId', 'outcome'],
  'breakglass.invoked': ['changeId', 'reason'],
  'breakglass.reviewed': ['changeId'],
};

export function requiredFieldsFor(type: EventType): readonly string[] {
  return REQUIRED_BY_TYPE[type] ?? [];
}

function checkTypeRequirements(event: { type: EventType } & Record<string, unknown>, ctx: z.RefinementCtx): void {
  for (const field of requiredFieldsFor(event.type)) {
    if (event[field] === undefined) {
      ctx.addIssue({ code: 'custom', path: [field], message: `is required for type ${event.type}` });
    }
  }
}

function checkTimeFloor(occurredAt: string, ctx: z.RefinementCtx): void {
  if (beforeFloor(occurredAt)) ctx.addIssue({ code: 'custom', path: ['occurredAt'], message: `must not be before ${TIME_BOUNDS.floor}` });
}

/** Serializes: call only after checkCommittable (depth bounded), or JSON.stringify can overflow the stack. */
function checkSize(event: unknown, ctx: z.RefinementCtx): void {
  const bytes = Buffer.byteLength(JSON.stringify(event), 'utf8');
  if (bytes > EVENT_LIMITS.maxEventBytes) {
    ctx.addIssue({ code: 'custom', path: [], message: `event must serialize to at most ${EVENT_LIMITS.maxEventBytes} bytes (got ${bytes})` });
  }
}

/**
 * What an emitter sends. The tenant is NOT part of it: it comes from the emitter's credentials, so an
 * emitter can never write into another tenant.
 */
export const AuditEventInput = z
  .strictObject(eventFields)
  .superRefine((e, ctx) => {
    checkTypeRequirements(e, ctx);
    if (checkCommittable(e, ctx)) checkSize(e, ctx);
    checkTimeFloor(e.occurredAt, ctx);
  });
export type AuditEventInput = z.input<typeof AuditEventInput>;
export type AuditEventInputParsed = z.output<typeof AuditEventInput>;

/** An event the ingest service accepted: stamped with tenant, id and receipt time. On `audit.ingested.v1`. */
export const AcceptedEvent = z
  .strictObject({
    ...eventFields,
    tenant: tenantId,
    id: uuidV7,
    receivedAt: timestamp,
    /** Server-set: who asserted the event. Optional only for records accepted before it existed (read as untrusted). */
    provenance: Provenance.optional(),
  })
  .superRefine((e, ctx) => {
    checkTypeRequirements(e, ctx);
    if (checkCommittable(e, ctx)) checkSize(e, ctx);
    checkTimeFloor(e.occurredAt, ctx);
  });
export type AcceptedEvent = z.output<typeof AcceptedEvent>;

/** A committed ledger record: the accepted event plus its position and hashes. On `audit.committed.v1`. */
export const CommittedRecord = z.strictObject({
  event: AcceptedEvent,
  seq: z.number().int().positive(),
  recordedAt: timestamp,
  leafHash: hex32,
  hash: hex32,
  prevHash: hex32,
});
export type CommittedRecord = z.output<typeof CommittedRecord>;

/** Clock sanity: an event may not claim to have happened more than `maxSkewMs` after it was received. */
export function occurredInFuture(occurredAt: string, receivedAt: Date, maxSkewMs = 5 * 60_000): boolean {
  return Date.parse(occurredAt) > receivedAt.getTime() + maxSkewMs;
}
