import { Injectable } from '@nestjs/common';
import { hasRole, JwtVerifier, type Principal, type Role } from '@audit/auth';
import { authenticateBearer } from '../auth/read-access.authenticator';
import { fail, ok, Problems, type ProblemResult, type Result } from '../http/problem';

/** Who may do what with alerting; roles are cumulative (viewer < analyst < auditor < admin). */
export const ALERTING_PERMISSIONS = {
  'alerts.read': 'analyst',
  'rules.read': 'analyst',
  /** Acknowledging or resolving is an accountable act on the audit trail: auditors and admins. */
  'alerts.transition': 'auditor',
  'rules.manage': 'admin',
  'channels.manage': 'admin',
} as const satisfies Record<string, Role>;
export type AlertingPermission = keyof typeof ALERTING_PERMISSIONS;

@Injectable()
export class AlertingAccess {
  constructor(private readonly verifier: JwtVerifier) {}

  async authorize(authorization: string | undefined, permission: AlertingPermission): Promise<Result<Principal>> {
    const authenticated = await authenticateBearer(this.verifier, authorization);
    if (!authenticated.ok) return authenticated;
    const principal = authenticated.value;
    const needed = ALERTING_PERMISSIONS[permission];
    if (!hasRole(principal, needed)) return fail(Problems.forbidden(`${permission} needs the ${needed} role or above`));
    return ok(principal);
  }
}

/** 422 with every problem of a rule (or channel) by field path, RFC 9457. */
export function invalidDefinition(what: string, errors: { path: string; message: string }[]): ProblemResult {
  return {
    problem: {
      type: 'https://audit-ledger.dev/problems/invalid-alert-definition',
      title: `The ${what} is not valid`,
      status: 422,
      detail: errors.map((e) => `${e.path}: ${e.message}`).join('; '),
      errors,
    },
  };
}

export function conflict(detail: string): ProblemResult {
  return { problem: { type: 'https://audit-ledger.dev/problems/conflict', title: 'Conflict', status: 409, detail } };
}
