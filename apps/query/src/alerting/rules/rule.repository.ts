import type { PoolClient } from '@audit/db';
import { parseRule, SCHEDULED_TYPES, type AlertRule, type RuleDefinitionInput } from './alert-rule.schema';
import { BUILTIN_RULES } from './builtin-rules';

export interface RuleVersionRow {
  tenant: string;
  ruleId: string;
  version: number;
  definition: RuleDefinitionInput;
  enabled: boolean;
  change: 'created' | 'updated' | 'disabled' | 'enabled';
  changedBy: string;
  changedAt: string;
  changeEventId: string;
}

interface StoredRow {
  rule_id: string;
  version: number;
  definition: unknown;
  enabled: boolean;
  change: string;
  changed_by: string;
  changed_at: Date;
}

/** Rule versions in `query.alert_rules`; every statement runs in the caller's transaction (and role). */
export class RuleRepository {
  /** The rules in force for a tenant: the latest stored version of each, plus built-ins it never overrode. */
  async currentRules(client: PoolClient, tenant: string): Promise<AlertRule[]> {
    const { rows } = await client.query<StoredRow>(
      `SELECT DISTINCT ON (rule_id) rule_id, version, definition, enabled, change, changed_by, changed_at
         FROM query.alert_rules WHERE tenant = $1 ORDER BY rule_id, version DESC`,
      [tenant],
    );
    const stored = rows.map((r) => toRule(tenant, r.rule_id, r.version, r.definition));
    const overridden = new Set(stored.map((r) => r.id));
    const builtins = Object.entries(BUILTIN_RULES)
      .filter(([id]) => !overridden.has(id))
      .map(([id, def]) => toRule(tenant, id, 0, def));
    return [...stored, ...builtins].sort((a, b) => a.id.localeCompare(b.id));
  }

  async current(client: PoolClient, tenant: string, ruleId: string): Promise<AlertRule | null> {
    return (await this.currentRules(client, tenant)).find((r) => r.id === ruleId) ?? null;
  }

  async versions(client: PoolClient, tenant: string, ruleId: string): Promise<(StoredRow & { definition: unknown })[]> {
    const { rows } = await client.query<StoredRow>(
      'SELECT rule_id, version, definition, enabled, change, changed_by, changed_at FROM query.alert_rules WHERE tenant = $1 AND rule_id = $2 ORDER BY version',
      [tenant, ruleId],
    );
    return rows;
  }

  async insert(client: PoolClient, row: RuleVersionRow): Promise<void> {
    await client.query(
      `INSERT INTO query.alert_rules (tenant, rule_id, version, rule_type, definition, enabled, change, changed_by, changed_at, change_event_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [row.tenant, row.ruleId, row.version, row.definition.type, JSON.stringify(row.definition), row.enabled, row.change, row.changedBy, row.changedAt, row.changeEventId],
    );
  }

  /** Tenants that have an enabled scheduled rule (built-ins are all streaming). */
  async tenantsWithScheduledRules(client: PoolClient): Promise<string[]> {
    const { rows } = await client.query<{ tenant: string }>(
      `SELECT DISTINCT tenant FROM (
         SELECT DISTINCT ON (tenant, rule_id) tenant, rule_type, enabled FROM query.alert_rules ORDER BY tenant, rule_id, version DESC
       ) latest WHERE enabled AND rule_type = ANY($1)`,
      [[...SCHEDULED_TYPES]],
    );
    return rows.map((r) => r.tenant);
  }
}

/** Stored definitions are validated again on the way out, like any row read back. */
function toRule(tenant: string, id: string, version: number, definition: unknown): AlertRule {
  const parsed = parseRule(definition);
  if (!parsed.ok) throw new Error(`stored rule ${tenant}/${id} v${version} is invalid: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return { tenant, id, version, definition: parsed.definition, source: parsed.source };
}
