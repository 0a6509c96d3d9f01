import { hasRole, type Principal, type Role } from '@audit/auth';

/**
 * Who may read what. Roles are cumulative (viewer < analyst < auditor < admin), so each permission names
 * the least role that holds it. The tenant is never a parameter: it is the token's.
 */
export const PERMISSIONS = {
  /** List changes from the lifecycle views. */
  'changes.list': 'viewer',
  /** Search events; below analyst the events come without `details`. */
  'events.search': 'viewer',
  /** Read `details` of events. */
  'events.details': 'analyst',
  /** The whole story of one change, with verdicts. */
  'changes.story': 'analyst',
  /** Projection positions and checksums (verification of the read side). */
  'projections.verify': 'auditor',
} as const satisfies Record<string, Role>;

export type Permission = keyof typeof PERMISSIONS;

export function may(principal: Principal, permission: Permission): boolean {
  return hasRole(principal, PERMISSIONS[permission]);
}
