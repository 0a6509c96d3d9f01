import { parseIsoDuration } from './iso-duration';

/** What a policy rule requires of a change (the policy document's `require`, as compiled). */
export type Requirement =
  | { allow: true }
  | { deny: string }
  | {
      approvals: { group: string; count: number }[];
      validFor?: string;
      breakGlass: boolean;
      acceptGithubReviews: boolean;
    };

/**
 * The part of a tenant's policy that applies to one change at one moment: which policy (id, version,
 * digest), which rule matched (CEL is evaluated by approval-policy, not here), what it requires, and
 * the freeze windows then in force. The gate resolves it and records it in `gate.decided`
 * (`details.policy`), so the change story judges a run by exactly the rule the gate used.
 */
export interface ResolvedRule {
  policyId: string;
  policyVersion: number;
  policyDigest: string | null;
  rule: string;
  require: Requirement;
  /** ISO 8601 duration within which a break-glass change must be reviewed. */
  breakGlassReviewWithin: string;
  /** Names of the freeze windows in force for the change's environment when the rule was resolved. */
  frozen: string[];
}

/** GitHub reviews always carry this group, so a rule can ask for "1 GitHub review". */
export const GITHUB_REVIEWER_GROUP = 'github-reviewer';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

function readRequirement(v: unknown): Requirement | undefined {
  if (!isRecord(v)) return undefined;
  if (v['allow'] === true) return { allow: true };
  if (typeof v['deny'] === 'string') return { deny: v['deny'] };
  const approvals = v['approvals'];
  if (!Array.isArray(approvals) || approvals.length === 0) return undefined;
  const needs = approvals.map((n: unknown) => (isRecord(n) && typeof n['group'] === 'string' && Number.isInteger(n['count']) ? { group: n['group'], count: n['count'] as number } : undefined));
  if (needs.some((n) => n === undefined)) return undefined;
  const validFor = v['validFor'];
  if (validFor !== undefined && (typeof validFor !== 'string' || parseIsoDuration(validFor) === undefined)) return undefined;
  return {
    approvals: needs as { group: string; count: number }[],
    ...(typeof validFor === 'string' ? { validFor } : {}),
    breakGlass: v['breakGlass'] === true,
    acceptGithubReviews: v['acceptGithubReviews'] === true,
  };
}

/**
 * Reads a resolved rule back from a recorded `gate.decided` (`details.policy`). Written by our own
 * service, but read from the ledger like any input: anything malformed is treated as no rule at all
 * (the run is then judged as ungated), never half-trusted.
 */
export function readResolvedRule(details: Record<string, unknown> | undefined): ResolvedRule | undefined {
  const p = details?.['policy'];
  if (!isRecord(p)) return undefined;
  const require = readRequirement(p['require']);
  const within = p['breakGlassReviewWithin'];
  if (
    !require ||
    typeof p['id'] !== 'string' ||
    !Number.isInteger(p['version']) ||
    typeof p['rule'] !== 'string' ||
    typeof within !== 'string' ||
    parseIsoDuration(within) === undefined ||
    !isStringArray(p['frozen'])
  ) {
    return undefined;
  }
  return {
    policyId: p['id'],
    policyVersion: p['version'] as number,
    policyDigest: typeof p['digest'] === 'string' ? p['digest'] : null,
    rule: p['rule'],
    require,
    breakGlassReviewWithin: within,
    frozen: p['frozen'],
  };
}

/** The form `readResolvedRule` reads: what the gate writes into `details.policy`. */
export function recordedRule(r: ResolvedRule): Record<string, unknown> {
  return {
    id: r.policyId,
    version: r.policyVersion,
    digest: r.policyDigest,
    rule: r.rule,
    require: r.require,
    breakGlassReviewWithin: r.breakGlassReviewWithin,
    frozen: r.frozen,
  };
}
