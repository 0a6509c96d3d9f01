import { z } from 'zod';
import { tenantId } from '@audit/contracts';

/** Read roles, from least to most: each includes what the one before it may do. */
export const ROLES = ['viewer', 'analyst', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What a verified token tells us about the caller. `groups` are the approver groups (sre, security, …)
 * the identity provider asserts at the moment of the request; approval events record them as they were.
 */
export const Principal = z.object({
  sub: z.string().min(1).max(256),
  tenant: tenantId,
  roles: z.array(z.enum(ROLES)).max(8).default([]),
  groups: z.array(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,127}$/)).max(64).default([]),
  name: z.string().max(256).optional(),
});
export type Principal = z.output<typeof Principal>;

export function hasRole(principal: Principal, needed: Role): boolean {
  const rank = ROLES.indexOf(needed);
  return principal.roles.some((r) => ROLES.indexOf(r) >= rank);
}
