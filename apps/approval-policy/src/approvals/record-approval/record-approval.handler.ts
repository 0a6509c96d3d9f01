import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@audit/auth';
import type { Provenance } from '@audit/contracts';
import { currentPlan, foldChange, separationOfDutiesConflict } from '@audit/change-lifecycle';
import { CLOCK, type Clock } from '../../clock';
import { changeResource } from '../../events/change-resource';
import { InternalEventsPublisher } from '../../events/internal-events.publisher';
import { Problems, type Problem } from '../../http/problem';
import { ChangeViewRepository } from '../../ledger-view/change-view.repository';
import type { RecordApprovalRequest } from './record-approval.request';

export type RecordApprovalResult = { ok: true; value: { eventId: string; type: string; planDigest: string } } | { ok: false; problem: Problem };

/**
 * Records an approval or rejection as an event, asserted by the caller's verified token (provenance
 * `user_token` via `approvals-api`, roles and groups from the token): the only kind of user approval the
 * change model counts. Separation of duties is the change model's own rule, asked here up front: a
 * violation is answered 403 and itself recorded (`policy.evaluated`, outcome denied), so attempts are
 * visible to auditors, not only successes.
 */
@Injectable()
export class RecordApprovalHandler {
  constructor(
    private readonly view: ChangeViewRepository,
    private readonly events: InternalEventsPublisher,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** `asserted`: the verified token's provenance; the event's actor (roles, teams) comes from the same token. */
  async execute(approver: Principal, changeId: string, body: RecordApprovalRequest, asserted: Provenance): Promise<RecordApprovalResult> {
    const history = await this.view.changeEvents(approver.tenant, changeId);
    const state = foldChange(history);
    if (!state.requested) return { ok: false, problem: Problems.notFound(`change ${changeId} has no committed change.requested event (yet)`) };
    const now = this.clock();
    const resource = changeResource(history, changeId, state.requested.environment);
    const actor = { id: approver.sub, type: 'user' as const, roles: approver.roles, teams: approver.groups };

    const conflict = separationOfDutiesConflict(state, approver.sub);
    const sod =
      conflict === 'requester'
        ? 'separation of duties: the requester cannot approve or reject their own change'
        : conflict === 'commit-author'
          ? 'separation of duties: the author of the commit being deployed cannot approve or reject it'
          : undefined;
    if (sod) {
      const denial = this.events.stamp(
        approver.tenant,
        {
          type: 'policy.evaluated',
          occurredAt: now.toISOString(),
          actor,
          resource,
          changeId,
          plan: { digest: body.planDigest },
          outcome: 'denied',
          reason: sod,
          details: { check: 'separation-of-duties', attempted: body.decision },
        },
        now,
      );
      await this.events.publish([denial]);
      return { ok: false, problem: Problems.forbidden(sod, { eventId: denial.id }) };
    }

    const current = currentPlan(state)?.digest;
    if (body.planDigest !== current) {
      const detail = current ? `plan ${body.planDigest} is not the current plan ${current} of change ${changeId}; review the current plan` : `change ${changeId} has no plan yet`;
      return { ok: false, problem: Problems.conflict(detail, { currentPlanDigest: current ?? null }) };
    }
    if (body.decision === 'reject' && !body.comment?.trim()) {
      return { ok: false, problem: Problems.invalid('a rejection needs a reason', [{ path: 'comment', message: 'is required when decision is reject' }]) };
    }

    const event = this.events.stamp(
      approver.tenant,
      {
        type: body.decision === 'approve' ? 'approval.granted' : 'approval.rejected',
        occurredAt: now.toISOString(),
        actor,
        resource,
        changeId,
        plan: { digest: body.planDigest },
        ...(body.comment ? { reason: body.comment } : {}),
      },
      now,
      undefined,
      asserted,
    );
    await this.events.publish([event]);
    return { ok: true, value: { eventId: event.id, type: event.type, planDigest: body.planDigest } };
  }
}

