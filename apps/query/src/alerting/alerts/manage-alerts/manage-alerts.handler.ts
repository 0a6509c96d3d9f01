import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@audit/auth';
import type { Pool } from '@audit/db';
import { InjectPool } from '@audit/service-shell';
import { CLOCK, type Clock } from '../../../clock';
import { fail, ok, Problems, type Result } from '../../../http/problem';
import { withProjectorWriter, withTenantReader } from '../../../projections/postgres/tenant-reader';
import { AlertingRuntime } from '../../alerting.runtime';
import { conflict } from '../../alerting-access';
import type { AlertTransition } from '../alert-decider';

const STATES = ['firing', 'acknowledged', 'resolved'] as const;

interface Row {
  id: string;
  rule_id: string;
  rule_version: number;
  group_key: string;
  severity: string;
  title: string;
  summary: string;
  state: string;
  first_fired_at: Date;
  last_fired_at: Date;
  fire_count: number;
  matched_seqs: string[];
  change_ids: string[];
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
}

/** `GET /v1/alerts`, `POST /v1/alerts/:id/ack|resolve`. */
@Injectable()
export class ManageAlertsHandler {
  constructor(
    @InjectPool() private readonly pool: Pool,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly runtime: AlertingRuntime,
  ) {}

  async list(principal: Principal, query: { state?: string; ruleId?: string; limit?: string }): Promise<Result<{ alerts: unknown[] }>> {
    if (query.state !== undefined && !(STATES as readonly string[]).includes(query.state)) return fail(Problems.badParameter('state', `must be one of ${STATES.join(', ')}`));
    const limit = query.limit === undefined ? 100 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) return fail(Problems.badParameter('limit', 'must be an integer from 1 to 500'));
    const { rows } = await withTenantReader(this.pool, principal.tenant, (c) =>
      c.query<Row>(
        `SELECT * FROM query.alerts WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR rule_id = $2) ORDER BY last_fired_at DESC, id DESC LIMIT $3`,
        [query.state ?? null, query.ruleId ?? null, limit],
      ),
    );
    return ok({ alerts: rows.map(this.view) });
  }

  async get(principal: Principal, alertId: string): Promise<Result<unknown>> {
    const found = await withTenantReader(this.pool, principal.tenant, async (c) => {
      const alert = (await c.query<Row>('SELECT * FROM query.alerts WHERE id = $1', [alertId])).rows[0];
      const deliveries = (
        await c.query<{ id: string; kind: string; channel: string | null; status: string; attempts: number; last_error: string | null; done_at: Date | null }>(
          'SELECT id, kind, channel, status, attempts, last_error, done_at FROM query.alert_outbox WHERE alert_id = $1 ORDER BY id',
          [alertId],
        )
      ).rows;
      return alert ? { ...this.view(alert), deliveries: deliveries.map((d) => ({ id: d.id, kind: d.kind, channel: d.channel, status: d.status, attempts: d.attempts, lastError: d.last_error, doneAt: d.done_at?.toISOString() ?? null })) } : null;
    });
    return found ? ok(found) : fail(Problems.notFound(`no alert "${alertId}" in your tenant`));
  }

  async transition(principal: Principal, alertId: string, wanted: AlertTransition): Promise<Result<unknown>> {
    const result = await withProjectorWriter(this.pool, async (client) => {
      const notify = await this.notifyChannels(client, principal.tenant, alertId);
      return this.runtime.alerts.transition(client, principal.tenant, alertId, wanted, { id: principal.sub, roles: [...principal.roles], teams: [...principal.groups] }, notify, this.clock());
    });
    if (!result.ok) return fail(result.status === 404 ? Problems.notFound(result.reason) : conflict(result.reason));
    this.runtime.kick();
    return ok(this.view(result.alert as unknown as Row));
  }

  /** The channels of the alert's rule as it is now (a changed rule notifies its current channels). */
  private async notifyChannels(client: Parameters<Parameters<typeof withProjectorWriter>[1]>[0], tenant: string, alertId: string): Promise<string[]> {
    const { rows } = await client.query<{ rule_id: string }>('SELECT rule_id FROM query.alerts WHERE tenant = $1 AND id = $2', [tenant, alertId]);
    if (!rows[0]) return [];
    const rule = await this.runtime.rules.current(client, tenant, rows[0].rule_id);
    return rule?.definition.notify ?? [];
  }

  private view(r: Row) {
    return {
      id: r.id,
      ruleId: r.rule_id,
      ruleVersion: r.rule_version,
      groupKey: r.group_key,
      severity: r.severity,
      title: r.title,
      summary: r.summary,
      state: r.state,
      firstFiredAt: r.first_fired_at.toISOString(),
      lastFiredAt: r.last_fired_at.toISOString(),
      fireCount: r.fire_count,
      matchedSeqs: r.matched_seqs.map(Number),
      changeIds: r.change_ids,
      acknowledgedAt: r.acknowledged_at?.toISOString() ?? null,
      acknowledgedBy: r.acknowledged_by,
      resolvedAt: r.resolved_at?.toISOString() ?? null,
      resolvedBy: r.resolved_by,
    };
  }
}
