import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from '@audit/db';
import type { Logger } from '@audit/observability';
import { InjectConfig, InjectLogger, InjectPool } from '@audit/service-shell';
import type { ApprovalPolicyConfig } from '../app.module';
import { CLOCK, type Clock } from '../clock';
import { decideChange } from '../decision/decide-change';
import { changeResource } from '../events/change-resource';
import { InternalEventsPublisher, SOURCE } from '../events/internal-events.publisher';
import { ChangeViewRepository } from '../ledger-view/change-view.repository';
import { PolicyRepository } from '../policy/policy.repository';

/**
 * Announces overdue break-glass reviews: for each break-glass invocation whose follow-up review is past
 * its deadline, one `policy.evaluated` event (outcome denied, details.overdueReview) that alerting picks
 * up. Each invocation is announced once (approval.overdue_reviews_signalled).
 */
@Injectable()
export class OverdueReviewSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    @InjectPool() private readonly pool: Pool,
    @InjectLogger() private readonly logger: Logger,
    @InjectConfig() private readonly config: ApprovalPolicyConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly view: ChangeViewRepository,
    private readonly policies: PolicyRepository,
    private readonly events: InternalEventsPublisher,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.OVERDUE_SWEEP_INTERVAL_MS;
    if (every === 0) return;
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .catch((err: unknown) => this.logger.warn({ err }, 'overdue review sweep failed; retrying next interval'))
        .finally(() => (this.running = undefined));
    }, every);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; returns the changes announced. `tenant` narrows it (tests share the database). */
  async sweep(tenant?: string): Promise<{ tenant: string; changeId: string; eventId: string }[]> {
    const { rows } = await this.pool.query<{ tenant: string; change_id: string; seq: string }>(
      `SELECT b.tenant, b.change_id, max(b.seq)::text AS seq FROM approval.break_glass b
        WHERE b.kind = 'invoked' AND ($1::text IS NULL OR b.tenant = $1)
          AND NOT EXISTS (SELECT 1 FROM approval.overdue_reviews_signalled s WHERE s.tenant = b.tenant AND s.change_id = b.change_id AND s.invoked_seq = b.seq)
        GROUP BY b.tenant, b.change_id ORDER BY b.tenant, b.change_id LIMIT 500`,
      [tenant ?? null],
    );
    const announced: { tenant: string; changeId: string; eventId: string }[] = [];
    for (const row of rows) {
      const history = await this.view.changeEvents(row.tenant, row.change_id);
      const now = this.clock();
      const { decision: d } = decideChange(history, await this.policies.inForce(row.tenant), now);
      if (!d.breakGlass?.overdue) continue;
      const event = this.events.stamp(
        row.tenant,
        {
          type: 'policy.evaluated',
          occurredAt: now.toISOString(),
          actor: { id: 'approval-policy', type: 'service', roles: [], teams: [] },
          resource: changeResource(history, row.change_id, 'unknown'),
          changeId: row.change_id,
          ...(d.planDigest ? { plan: { digest: d.planDigest } } : {}),
          outcome: 'denied',
          reason: `break-glass follow-up review overdue since ${d.breakGlass.reviewDueAt} (invoked by ${d.breakGlass.invokedBy})`,
          source: SOURCE,
          details: { overdueReview: true, missing: 'breakglass.reviewed', breakGlass: { ...d.breakGlass }, rule: d.rule, policyVersion: d.policyVersion },
        },
        now,
      );
      await this.events.publish([event]);
      await this.pool.query(
        `INSERT INTO approval.overdue_reviews_signalled (tenant, change_id, invoked_seq, event_id, signalled_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
        [row.tenant, row.change_id, row.seq, event.id, now],
      );
      this.logger.info({ tenant: row.tenant, changeId: row.change_id, eventId: event.id }, 'overdue break-glass review announced');
      announced.push({ tenant: row.tenant, changeId: row.change_id, eventId: event.id });
    }
    return announced;
  }
}
