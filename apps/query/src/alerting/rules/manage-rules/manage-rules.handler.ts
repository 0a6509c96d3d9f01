import { Inject, Injectable } from '@nestjs/common';
import { isDeepStrictEqual } from 'node:util';
import type { Principal } from '@audit/auth';
import { AcceptedEvent } from '@audit/contracts';
import type { Pool, PoolClient } from '@audit/db';
import { KafkaPublisher } from '@audit/kafka';
import type { Logger } from '@audit/observability';
import { InjectConfig, InjectLogger, InjectPool } from '@audit/service-shell';
import type { QueryConfig } from '../../../config';
import { signedLedgerMessages } from '../../../ledger-events/signed-ledger-messages';
import { CLOCK, ID_GENERATOR, type Clock, type IdGenerator } from '../../../clock';
import { fail, ok, Problems, type Result } from '../../../http/problem';
import { withProjectorWriter, withTenantReader } from '../../../projections/postgres/tenant-reader';
import { invalidDefinition } from '../../alerting-access';
import { parseRule, RULE_ID, type AlertRule } from '../alert-rule.schema';
import { isBuiltinId } from '../builtin-rules';
import { RuleRepository } from '../rule.repository';
import { ruleChangedEvent } from './rule-changed.event';

export interface RuleView {
  id: string;
  version: number;
  builtin: boolean;
  enabled: boolean;
  type: string;
  definition: unknown;
}

export interface PutRuleResult {
  rule: RuleView;
  change: 'created' | 'updated' | 'disabled' | 'enabled' | 'unchanged' | 'valid';
  eventId: string | null;
}

/**
 * Rule management: every change is a new version (none is ever overwritten) and an
 * `alert.rule.changed` event, published in the transaction that stores the version: if Kafka refuses
 * the event, the version is not stored and the caller gets 503.
 */
@Injectable()
export class ManageRulesHandler {
  private readonly rules = new RuleRepository();

  constructor(
    @InjectPool() private readonly pool: Pool,
    private readonly publisher: KafkaPublisher,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ID_GENERATOR) private readonly newId: IdGenerator,
    @InjectConfig() private readonly config: QueryConfig,
    @InjectLogger() private readonly logger: Logger,
  ) {}

  async list(principal: Principal): Promise<RuleView[]> {
    return withProjectorWriter(this.pool, async (c) => (await this.rules.currentRules(c, principal.tenant)).map(view));
  }

  async versions(principal: Principal, ruleId: string): Promise<Result<unknown[]>> {
    const rows = await withTenantReader(this.pool, principal.tenant, (c) => this.rules.versions(c, principal.tenant, ruleId));
    if (rows.length === 0) return fail(Problems.notFound(`rule "${ruleId}" has no stored versions in your tenant`));
    return ok(rows.map((r) => ({ version: r.version, enabled: r.enabled, change: r.change, changedBy: r.changed_by, changedAt: r.changed_at.toISOString(), definition: r.definition })));
  }

  async put(principal: Principal, ruleId: string, body: unknown, dryRun: boolean): Promise<Result<PutRuleResult>> {
    if (!RULE_ID.test(ruleId)) return fail(Problems.badParameter('ruleId', `must match ${RULE_ID.source}`));
    const parsed = parseRule(body);
    if (!parsed.ok) return fail(invalidDefinition('alert rule', parsed.issues));
    if (dryRun) return ok({ rule: { id: ruleId, version: 0, builtin: isBuiltinId(ruleId), enabled: parsed.definition.enabled, type: parsed.definition.type, definition: parsed.source }, change: 'valid', eventId: null });
    return this.write(principal, ruleId, (current) => {
      if (current && isDeepStrictEqual(current.source, parsed.source)) return null;
      const change = !current || current.version === 0 ? 'created' : current.definition.enabled !== parsed.definition.enabled ? (parsed.definition.enabled ? 'enabled' : 'disabled') : 'updated';
      return { definition: parsed.source, enabled: parsed.definition.enabled, change };
    });
  }

  async disable(principal: Principal, ruleId: string): Promise<Result<PutRuleResult>> {
    return this.write(principal, ruleId, (current) => {
      if (!current) return 'missing';
      if (!current.definition.enabled) return null;
      return { definition: { ...current.source, enabled: false }, enabled: false, change: 'disabled' };
    });
  }

  private async write(
    principal: Principal,
    ruleId: string,
    decide: (current: AlertRule | null) => { definition: AlertRule['source']; enabled: boolean; change: 'created' | 'updated' | 'disabled' | 'enabled' } | null | 'missing',
  ): Promise<Result<PutRuleResult>> {
    try {
      return await withProjectorWriter(this.pool, async (client: PoolClient) => {
        await client.query("SELECT pg_advisory_xact_lock(hashtext('query.alert_rules'), hashtext($1))", [`${principal.tenant}/${ruleId}`]);
        const current = await this.rules.current(client, principal.tenant, ruleId);
        const next = decide(current);
        if (next === 'missing') return fail(Problems.notFound(`no rule "${ruleId}" in your tenant`));
        if (next === null) return ok({ rule: view(current!), change: 'unchanged' as const, eventId: null });
        const now = this.clock();
        const version = Math.max(0, ...(await this.rules.versions(client, principal.tenant, ruleId)).map((v) => v.version)) + 1;
        const event = AcceptedEvent.parse(ruleChangedEvent(principal, { kind: 'rule', id: ruleId, version, change: next.change, definition: next.definition }, this.newId(now), now));
        await this.rules.insert(client, {
          tenant: principal.tenant,
          ruleId,
          version,
          definition: next.definition,
          enabled: next.enabled,
          change: next.change,
          changedBy: principal.sub,
          changedAt: now.toISOString(),
          changeEventId: event.id,
        });
        await this.publisher.publish('ingested', signedLedgerMessages(this.config.SERVICE_CREDENTIAL_SECRET, [event]), { timeoutMs: 5_000 }).catch((error: unknown) => {
          throw new NotRecorded(error);
        });
        const stored = (await this.rules.current(client, principal.tenant, ruleId))!;
        this.logger.info({ tenant: principal.tenant, ruleId, version, change: next.change, eventId: event.id }, 'alert rule changed');
        return ok({ rule: view(stored), change: next.change, eventId: event.id });
      });
    } catch (error) {
      if (error instanceof NotRecorded) {
        this.logger.error({ err: error.cause, tenant: principal.tenant, ruleId }, 'could not record a rule change; nothing stored');
        return fail(Problems.unavailable('the rule change could not be recorded in the audit log; nothing was changed'));
      }
      throw error;
    }
  }
}

/** The change event could not be published: the transaction rolls back and nothing is stored. */
export class NotRecorded extends Error {
  constructor(override readonly cause: unknown) {
    super('the change could not be recorded in the audit log');
  }
}

function view(r: AlertRule): RuleView {
  return { id: r.id, version: r.version, builtin: isBuiltinId(r.id), enabled: r.definition.enabled, type: r.definition.type, definition: r.source };
}
