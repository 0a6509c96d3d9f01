import type { RuleDefinitionInput } from './alert-rule.schema';

/**
 * Domain rules every tenant has from the start. They are ordinary rules with reserved ids: a tenant
 * changes one (e.g. its working hours) or disables it by writing a new version under the same id; until
 * then the definition here applies, as version 0.
 */
export const BUILTIN_RULES: Record<string, RuleDefinitionInput> = {
  'builtin.artifact-mismatch': {
    type: 'artifact_mismatch',
    name: 'Deployed artifact differs from the approved one',
    severity: 'critical',
    description: 'A run of a change deployed an artifact digest other than the one its plan was bound to (the plan\'s, else the first the gate let through); a rollback is judged against its own plan (change-story artifactMatch / rollbacks[].artifact = no).',
  },
  'builtin.prod-without-approval': {
    type: 'prod_without_approval',
    name: 'Production deployment without a valid approval',
    severity: 'critical',
    description: 'A deployment started in production that the gate would not have let through at that moment, under the rule it recorded for that plan (verdict approvedForPlanThatRan = no; a rollback of a plan that ran needs no new approval).',
  },
  'builtin.untrusted-approval': {
    type: 'untrusted_approval',
    name: 'Approval asserted by an untrusted source',
    severity: 'high',
    description:
      'An approval.granted (or review) came from a source the policy does not trust (an emitter key without the approvals scope, a record without provenance, …): it is kept as evidence of an attempt and not counted (change-story approvals[].counted = false).',
  },
  'builtin.breakglass-overdue': {
    type: 'breakglass_overdue',
    name: 'Break-glass change not reviewed before its deadline',
    severity: 'high',
    description: 'approval-policy reported a break-glass change whose mandatory follow-up review is overdue (policy.evaluated with details.overdueReview = true).',
  },
  'builtin.off-hours-change': {
    type: 'off_hours_change',
    name: 'Production change outside working hours',
    severity: 'medium',
    description: 'A production change (deployment, config change, access grant, break-glass) outside the working hours of the tenant.',
  },
  'builtin.ledger-verification-failed': {
    type: 'ledger_verification_failed',
    name: 'Ledger verification failed',
    severity: 'critical',
    description: 'A verification of the tamper-evident ledger failed (ledger.verified with outcome failed).',
  },
  'builtin.ledger-append-failed': {
    type: 'match',
    name: 'An accepted event could not be appended to the ledger',
    severity: 'high',
    filter: 'type:ledger.append_failed',
    groupBy: 'resource',
    description:
      'The ledger could not append an accepted event (ledger.append_failed in the tenant log names its id, digest and the reason); the original is on the DLQ. Its partition went on without it: find out why, fix, and re-send it from the DLQ.',
  },
};

export const isBuiltinId = (id: string): boolean => id.startsWith('builtin.');
