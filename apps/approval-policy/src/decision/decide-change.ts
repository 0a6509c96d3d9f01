import { decideGate, foldChange, type ChangeEvent, type ChangeState, type GateDecision, type ResolvedRule } from '@audit/change-lifecycle';
import type { CelActivation } from '../policy/cel-environment';
import type { CompiledPolicy, CompiledRule } from '../policy/compile-policy';
import { activeFreezeWindows, localTime } from '../policy/freeze-calendar';

export interface PolicyInForce {
  version: number;
  policy: CompiledPolicy;
}

/** What a pipeline asks the gate: present means "may I apply this now?", absent means "where does it stand?". */
export interface GateAsk {
  planDigest?: string;
  artifactDigest?: string;
  environment?: string;
}

/** The policy's id as the ledger names it (`policy.published` is about resource `<tenant>/approval-policy`). */
export const policyIdOf = (tenant: string) => `${tenant}/approval-policy`;

export function activationOf(state: ChangeState, policy: CompiledPolicy, now: Date): CelActivation {
  const plan = state.plans.at(-1);
  const summary = plan?.summary;
  const local = localTime(now, policy.document.timeZone);
  const kinds = new Set([...state.resources.map((r) => r.kind), ...(summary?.resourceTypes ?? [])]);
  return {
    change: {
      id: state.changeId ?? '',
      environment: state.requested?.environment ?? '',
      resourceKinds: [...kinds],
      resourceIds: state.resources.map((r) => r.id),
    },
    plan: {
      present: plan !== undefined,
      adds: summary?.adds ?? 0,
      changes: summary?.changes ?? 0,
      destroys: summary?.destroys ?? 0,
      replacements: summary?.replacements ?? 0,
      iamChanges: summary?.iamChanges ?? 0,
      securityGroupChanges: summary?.securityGroupChanges ?? 0,
      drift: summary?.drift ?? 0,
      resourceTypes: summary?.resourceTypes ?? [],
    },
    requester: { id: state.requested?.requester.id ?? '', roles: state.requested?.requester.roles ?? [], teams: state.requested?.requester.teams ?? [] },
    now: { hour: local.hour, weekday: local.weekday, minute: local.minute },
  };
}

function chooseRule(policy: CompiledPolicy, activation: CelActivation): Pick<CompiledRule, 'name' | 'require'> {
  for (const rule of policy.rules) {
    try {
      if (rule.matches(activation)) return rule;
    } catch (error) {
      // Fail closed: a condition that cannot be evaluated must not let a change through.
      const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
      return { name: rule.name, require: { deny: `rule "${rule.name}" could not be evaluated (${message}); failing closed` } };
    }
  }
  return { name: 'default', require: policy.document.default };
}

/**
 * The part of the policy that applies to this change now: the first matching rule (CEL, evaluated here,
 * the only place that knows CEL) and the freeze windows in force. Everything after that is decided by
 * `@audit/change-lifecycle`, the same code the change story and the alerts use.
 */
export function resolveRule(state: ChangeState, tenant: string, inForce: PolicyInForce, now: Date): ResolvedRule {
  const { policy, version } = inForce;
  const rule = chooseRule(policy, activationOf(state, policy, now));
  const frozen = activeFreezeWindows(policy.document.freezeWindows, state.requested?.environment ?? '', now).map((w) => w.name);
  return {
    policyId: policyIdOf(tenant),
    policyVersion: version,
    policyDigest: policy.digest,
    rule: rule.name,
    require: rule.require,
    breakGlassReviewWithin: policy.document.breakGlass.reviewWithin,
    frozen,
  };
}

/** Folds the change, resolves the rule and decides: the gate's answer (`ask` given) or where the change stands. */
export function decideChange(events: readonly ChangeEvent[], inForce: PolicyInForce | undefined, now: Date, ask?: GateAsk): { decision: GateDecision; rule: ResolvedRule | undefined } {
  const state = foldChange(events);
  const tenant = events[0]?.event.tenant ?? '';
  const rule = inForce && state.requested ? resolveRule(state, tenant, inForce, now) : undefined;
  const decision = decideGate(state, { kind: ask ? 'gate' : 'status', at: now, policy: rule, ...(ask ?? {}) });
  return { decision, rule };
}
