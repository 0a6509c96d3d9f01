import { z } from 'zod';
import { line, slug } from './primitives';

/**
 * Who asserted an event: set by the server from the credential that authenticated it, never from the body,
 * and part of the hashed entry, so a verified export proves who sent each record. It says who *claimed*
 * the event, not that the claim is true (README, "What provenance proves").
 *
 * - `api_key`: an emitter API key (`id` = key id; `scopes` = the key's extra scopes, e.g. `approvals`).
 * - `user_token`: a verified user JWT (`id` = `issuer|subject`; `roles`/`groups` as the token said then).
 * - `workload_token`: a CI workload identity token (`id` = `issuer|subject`).
 * - `webhook`: a signed webhook delivery (`id` = `source:deliveryId`).
 * - `intake`: a producer the cluster let write to `audit.intake.v1` (`id` = the topic). The message carries
 *   no credential of its own: what authenticated it is the Kafka connection (ACLs, SASL), which ingest
 *   cannot see per message — so it proves only "someone allowed on the intake topic".
 * - `service`: one of our own services (`id` = the service name), proven by a service credential.
 */
export const PROVENANCE_KINDS = ['api_key', 'user_token', 'workload_token', 'webhook', 'intake', 'service'] as const;
export type ProvenanceKind = (typeof PROVENANCE_KINDS)[number];

export const Provenance = z.strictObject({
  kind: z.enum(PROVENANCE_KINDS),
  id: line(512),
  /** How the credential was checked, e.g. `api-key`, `jwt`, `hmac-sha256`, `kafka-acl`, `service-credential`. */
  auth: line(64),
  /** Extra scopes the credential carried (e.g. `approvals` for an approval system's key). */
  scopes: z.array(slug(64)).max(32).default([]),
  issuer: line(512).optional(),
  subject: line(512).optional(),
  /** Verified roles and groups of a user token at that moment: what the gate counts, never the body's. */
  roles: z.array(slug(128)).max(64).optional(),
  groups: z.array(slug(128)).max(64).optional(),
  /** The door it came through (`http`, `github`, `terraform`, `k8s`, `intake`, `approvals-api`, …). */
  via: slug(64).optional(),
  /** For webhooks: the source and its delivery id. */
  delivery: line(256).optional(),
});
export type Provenance = z.output<typeof Provenance>;

/** Provenance of an event one of our services asserts itself (`id` = the service name). */
export function serviceProvenance(service: string, via?: string): Provenance {
  return { kind: 'service', id: service, auth: 'service-credential', scopes: [], ...(via ? { via } : {}) };
}
