import type { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import type { Pool, PoolClient } from '@audit/db';
import type { Logger } from '@audit/observability';
import { tenantIndexPattern } from '../../projections/opensearch/event-index';
import { withProjectorWriter } from '../../projections/postgres/tenant-reader';
import type { AlertStore, FiringOutcome } from '../alerts/alert.store';
import type { AlertRule } from '../rules/alert-rule.schema';
import type { RuleRepository } from '../rules/rule.repository';
import { decideFlatline, scheduledFirings, scheduledSearchBody } from './scheduled-rules';
import { formatMs, overdueSequenceFiring, type Firing } from './stream-evaluator';

export interface ScheduledResult {
  firings: { tenant: string; ruleId: string; groupKey: string; outcome: FiringOutcome }[];
}

/**
 * `evaluateScheduled(now)`: sequence deadlines that passed, then every enabled spike, cardinality and
 * flatline rule as an OpenSearch aggregation (or, for flatlines of ledger checkpoints, a count of the
 * checkpoints seen). A timer calls it in production; tests call it with the instant they mean.
 */
export class ScheduledEvaluation {
  constructor(
    private readonly pool: Pool,
    private readonly opensearch: OpenSearchClient,
    private readonly indexPrefix: string,
    private readonly rules: RuleRepository,
    private readonly alerts: AlertStore,
    private readonly logger: Logger,
  ) {}

  async evaluateScheduled(now: Date, onlyTenants?: readonly string[]): Promise<ScheduledResult> {
    const result: ScheduledResult = { firings: [] };
    await this.fireOverdueSequences(now, result, onlyTenants);
    const tenants = await withProjectorWriter(this.pool, (c) => this.rules.tenantsWithScheduledRules(c));
    for (const tenant of tenants.filter((t) => !onlyTenants || onlyTenants.includes(t))) {
      const rules = await withProjectorWriter(this.pool, (c) => this.rules.currentRules(c, tenant));
      for (const rule of rules) {
        const d = rule.definition;
        if (!d.enabled || (d.type !== 'spike' && d.type !== 'cardinality' && d.type !== 'flatline')) continue;
        try {
          const firings = d.type === 'flatline' && d.source === 'checkpoints' ? await this.checkpointFlatline(rule, now) : await this.aggregate(rule, now);
          if (firings.length === 0) continue;
          await withProjectorWriter(this.pool, async (client) => {
            for (const f of firings) result.firings.push({ tenant, ruleId: rule.id, groupKey: f.groupKey, outcome: await this.alerts.applyFiring(client, rule, f, now) });
          });
        } catch (error) {
          // One failing rule (e.g. OpenSearch busy) must not stop the others; the next run retries it.
          this.logger.error({ err: error, tenant, ruleId: rule.id }, 'scheduled rule evaluation failed');
        }
      }
    }
    return result;
  }

  private async aggregate(rule: AlertRule, now: Date): Promise<Firing[]> {
    const d = rule.definition;
    if (d.type !== 'spike' && d.type !== 'cardinality' && d.type !== 'flatline') return [];
    const res = await this.opensearch.search({
      index: tenantIndexPattern(this.indexPrefix, rule.tenant),
      ignore_unavailable: true,
      allow_no_indices: true,
      body: scheduledSearchBody(rule.tenant, d, now) as never,
    });
    return scheduledFirings(rule, res.body, now);
  }

  private async checkpointFlatline(rule: AlertRule, now: Date): Promise<Firing[]> {
    const d = rule.definition;
    if (d.type !== 'flatline') return [];
    const { rows } = await withProjectorWriter(this.pool, (client) =>
      client.query<{ n: string }>('SELECT count(*) AS n FROM query.alert_checkpoints WHERE tenant = $1 AND signed_at >= $2 AND signed_at < $3', [
        rule.tenant,
        new Date(now.getTime() - d.window).toISOString(),
        now.toISOString(),
      ]),
    );
    const count = Number(rows[0]?.n ?? 0);
    if (!decideFlatline(d.threshold, count)) return [];
    return [{ ruleId: rule.id, ruleVersion: rule.version, groupKey: 'checkpoints', at: now.toISOString(), matchedSeqs: [], changeIds: [], summary: `only ${count} signed ledger checkpoints in the last ${formatMs(d.window)} (expected at least ${d.threshold})` }];
  }

  private async fireOverdueSequences(now: Date, result: ScheduledResult, onlyTenants?: readonly string[]): Promise<void> {
    await withProjectorWriter(this.pool, async (client: PoolClient) => {
      const { rows } = await client.query<{ tenant: string; rule_id: string; key: string; state: Record<string, unknown> }>(
        `SELECT tenant, rule_id, key, state FROM query.alert_rule_state
          WHERE due_at IS NOT NULL AND due_at <= $1 AND ($2::text[] IS NULL OR tenant = ANY($2))
          ORDER BY due_at LIMIT 1000 FOR UPDATE SKIP LOCKED`,
        [now.toISOString(), onlyTenants ? [...onlyTenants] : null],
      );
      const rulesByTenant = new Map<string, AlertRule[]>();
      for (const row of rows) {
        if (!rulesByTenant.has(row.tenant)) rulesByTenant.set(row.tenant, await this.rules.currentRules(client, row.tenant));
        const rule = rulesByTenant.get(row.tenant)!.find((r) => r.id === row.rule_id);
        const firing = rule?.definition.enabled ? overdueSequenceFiring(rule, row.key, row.state) : null;
        if (rule && firing) result.firings.push({ tenant: row.tenant, ruleId: rule.id, groupKey: firing.groupKey, outcome: await this.alerts.applyFiring(client, rule, firing, now) });
        await client.query('DELETE FROM query.alert_rule_state WHERE tenant = $1 AND rule_id = $2 AND key = $3', [row.tenant, row.rule_id, row.key]);
      }
    });
  }
}
