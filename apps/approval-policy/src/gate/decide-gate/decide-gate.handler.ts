import { Inject, Injectable } from '@nestjs/common';
import type { AcceptedEvent } from '@audit/contracts';
import type { Principal } from '@audit/auth';
import { CLOCK, type Clock } from '../../clock';
import { recordedRule, type GateDecision } from '@audit/change-lifecycle';
import { decideChange } from '../../decision/decide-change';
import { changeResource } from '../../events/change-resource';
import { InternalEventsPublisher } from '../../events/internal-events.publisher';
import { ChangeViewRepository } from '../../ledger-view/change-view.repository';
import { PolicyRepository } from '../../policy/policy.repository';
import type { GateRequest } from './decide-gate.request';

export interface GateAnswer {
  decision: 'allow' | 'deny';
  state: GateDecision['state'];
  changeId: string;
  rule: string | null;
  policy: GateDecision['policy'];
  policyVersion: number | null;
  reasons: string[];
  approvals: GateDecision['approvals'];
  missing: GateDecision['missing'];
  ignoredApprovals: GateDecision['ignoredApprovals'];
  approvedPlanDigest: string | null;
  approvedArtifactDigest: string | null;
  breakGlass?: GateDecision['breakGlass'];
  /** Ids of the `policy.evaluated` and `gate.decided` events that record this answer. */
  evaluationEventId: string;
  gateEventId: string;
}

/** Bounded: `details` of an event is at most 16 KiB. */
const MAX_LISTED = 32;

/**
 * The deploy gate. Decides with the policy in force, then records the evaluation (`policy.evaluated`)
 * and the verdict (`gate.decided`) before answering: a verdict the ledger cannot show is never given.
 * The verdict records the resolved rule (`details.policy`), so the change story judges the run of this
 * plan by exactly the rule the gate used, with the same library (`@audit/change-lifecycle`).
 */
@Injectable()
export class DecideGateHandler {
  constructor(
    private readonly view: ChangeViewRepository,
    private readonly policies: PolicyRepository,
    private readonly events: InternalEventsPublisher,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(caller: Principal, q: GateRequest): Promise<GateAnswer> {
    const [history, inForce] = await Promise.all([this.view.changeEvents(caller.tenant, q.changeId), this.policies.inForce(caller.tenant)]);
    const now = this.clock();
    const { decision: d, rule } = decideChange(history, inForce, now, { planDigest: q.planDigest, environment: q.environment, ...(q.artifactDigest ? { artifactDigest: q.artifactDigest } : {}) });
    const allow = d.allow;
    const outcome = allow ? 'allowed' : 'denied';
    const common = {
      occurredAt: now.toISOString(),
      actor: { id: caller.sub, type: 'pipeline' as const, roles: caller.roles, teams: caller.groups },
      resource: changeResource(history, q.changeId, q.environment),
      changeId: q.changeId,
      plan: { digest: q.planDigest },
      ...(q.artifactDigest ? { artifact: { digest: q.artifactDigest, kind: 'container-image' } } : {}),
      outcome: outcome as AcceptedEvent['outcome'],
      reason: d.reasons.join('; ').slice(0, 4000),
    };
    const details = {
      state: d.state,
      rule: d.rule,
      policyVersion: d.policyVersion,
      ...(rule ? { policyId: rule.policyId, policy: recordedRule(rule) } : {}),
      approvedPlanDigest: d.planDigest ?? null,
      approvedArtifactDigest: d.approvedArtifactDigest,
      reasons: d.reasons.slice(0, MAX_LISTED),
      approvals: d.approvals.slice(0, MAX_LISTED).map((a) => ({ approver: a.approver, countedFor: a.countedFor, teams: a.teams, roles: a.roles, planDigest: a.planDigest, seq: a.seq, via: a.via, assertedBy: a.assertedBy })),
      missing: d.missing.slice(0, MAX_LISTED),
      ...(d.breakGlass ? { breakGlass: { ...d.breakGlass } } : {}),
      ...(d.breakGlass?.overdue ? { overdueReview: true } : {}),
    };
    const evaluation = this.events.stamp(caller.tenant, { ...common, type: 'policy.evaluated', details: { ...details, ignoredApprovals: d.ignoredApprovals.slice(0, MAX_LISTED) } }, now);
    const verdict = this.events.stamp(caller.tenant, { ...common, type: 'gate.decided', details: { ...details, evaluationEventId: evaluation.id } }, now);
    await this.events.publish([evaluation, verdict]);
    return {
      decision: allow ? 'allow' : 'deny',
      state: d.state,
      changeId: q.changeId,
      rule: d.rule,
      policy: d.policy,
      policyVersion: d.policyVersion,
      reasons: d.reasons,
      approvals: d.approvals,
      missing: d.missing,
      ignoredApprovals: d.ignoredApprovals,
      approvedPlanDigest: d.planDigest ?? null,
      approvedArtifactDigest: d.approvedArtifactDigest,
      ...(d.breakGlass ? { breakGlass: d.breakGlass } : {}),
      evaluationEventId: evaluation.id,
      gateEventId: verdict.id,
    };
  }
}
