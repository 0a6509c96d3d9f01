import { AcceptedEvent, AlertMessageV2 } from '@audit/contracts';
import type { PoolClient } from '@audit/db';
import type { IdGenerator } from '../../clock';
import type { Firing } from '../evaluation/stream-evaluator';
import type { AlertRule } from '../rules/alert-rule.schema';
import { decideFiring, decideTransition, mergeSeqs, type AlertState, type AlertTransition, type OpenAlert } from './alert-decider';
import { alertLedgerEvent, alertLinks, type AlertLinksConfig } from './alert-events';

interface AlertRow {
  id: string;
  tenant: string;
  rule_id: string;
  rule_version: number;
  group_key: string;
  severity: AlertMessageV2['severity'];
  title: string;
  summary: string;
  state: AlertState;
  first_fired_at: Date;
  last_fired_at: Date;
  last_notified_at: Date;
  fire_count: number;
  matched_seqs: string[];
  change_ids: string[];
}

export type FiringOutcome = 'opened' | 'renotified' | 'suppressed';

/**
 * Alerts and their outbox, in the caller's transaction: the evaluation that produced a firing, the
 * alert row and everything the alert must send commit together, so a crash can neither lose a
 * notification nor send one for state that rolled back.
 */
export class AlertStore {
  constructor(
    private readonly links: AlertLinksConfig,
    private readonly newId: IdGenerator,
  ) {}

  async applyFiring(client: PoolClient, rule: AlertRule, firing: Firing, now: Date): Promise<FiringOutcome> {
    const { rows } = await client.query<AlertRow>(
      `SELECT * FROM query.alerts WHERE tenant = $1 AND rule_id = $2 AND group_key = $3 AND state <> 'resolved' FOR UPDATE`,
      [rule.tenant, rule.id, firing.groupKey],
    );
    const row = rows[0];
    const open: OpenAlert | null = row
      ? { id: row.id, state: row.state as OpenAlert['state'], lastNotifiedAt: row.last_notified_at.toISOString(), fireCount: row.fire_count, matchedSeqs: row.matched_seqs.map(Number) }
      : null;
    const decision = decideFiring(open, firing, rule.definition.realert);
    const d = rule.definition;
    if (decision.kind === 'open' || !row) {
      const id = this.newId(now);
      const seqs = mergeSeqs([], firing.matchedSeqs);
      await client.query(
        `INSERT INTO query.alerts (id, tenant, rule_id, rule_version, group_key, severity, title, summary, state, first_fired_at, last_fired_at, last_notified_at, fire_count, matched_seqs, change_ids)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'firing', $9, $9, $9, 1, $10, $11)`,
        [id, rule.tenant, rule.id, rule.version, firing.groupKey, d.severity, d.name, firing.summary, firing.at, seqs, firing.changeIds.slice(0, 100)],
      );
      await this.enqueue(client, rule.definition.notify, this.message({ id, tenant: rule.tenant, ruleId: rule.id, ruleVersion: rule.version, groupKey: firing.groupKey, severity: d.severity, title: d.name, firedAt: firing.at, fireCount: 1, seqs, changeIds: firing.changeIds }, 'fired', 'firing', firing.at), firing.summary, { id: 'query-alerting', type: 'service' }, now);
      return 'opened';
    }
    const seqs = mergeSeqs(row.matched_seqs.map(Number), firing.matchedSeqs);
    const changeIds = [...new Set([...row.change_ids, ...firing.changeIds])].slice(0, 100);
    const { rows: updated } = await client.query<AlertRow>(
      `UPDATE query.alerts SET fire_count = fire_count + 1, matched_seqs = $2, change_ids = $3, summary = $4, rule_version = $5,
         last_fired_at = GREATEST(last_fired_at, $6::timestamptz),
         last_notified_at = CASE WHEN $7 THEN $6::timestamptz ELSE last_notified_at END
       WHERE id = $1 RETURNING *`,
      [row.id, seqs, changeIds, firing.summary, rule.version, firing.at, decision.notify],
    );
    if (!decision.notify) return 'suppressed';
    const u = updated[0]!;
    await this.enqueue(client, rule.definition.notify, this.fromRow(u, 'refired', firing.at), firing.summary, { id: 'query-alerting', type: 'service' }, now);
    return 'renotified';
  }

  /** Acknowledge or resolve; the result names why a transition is refused (already resolved, …). */
  async transition(
    client: PoolClient,
    tenant: string,
    alertId: string,
    wanted: AlertTransition,
    by: { id: string; roles: string[]; teams: string[] },
    notify: string[],
    now: Date,
  ): Promise<{ ok: true; alert: AlertRow } | { ok: false; status: 404 | 409; reason: string }> {
    const { rows } = await client.query<AlertRow>('SELECT * FROM query.alerts WHERE tenant = $1 AND id = $2 FOR UPDATE', [tenant, alertId]);
    const row = rows[0];
    if (!row) return { ok: false, status: 404, reason: `no alert "${alertId}" in your tenant` };
    const allowed = decideTransition(row.state, wanted);
    if (!allowed.ok) return { ok: false, status: 409, reason: allowed.reason };
    const column = wanted === 'acknowledged' ? 'acknowledged' : 'resolved';
    const { rows: updated } = await client.query<AlertRow>(
      `UPDATE query.alerts SET state = $2, ${column}_at = $3, ${column}_by = $4 WHERE id = $1 RETURNING *`,
      [alertId, wanted, now.toISOString(), by.id],
    );
    const u = updated[0]!;
    const message = { ...this.fromRow(u, wanted, now.toISOString()), changedBy: by.id };
    await this.enqueue(client, notify, message, `${wanted} by ${by.id}: ${u.summary}`, { id: by.id, type: 'user', roles: by.roles, teams: by.teams }, now);
    return { ok: true, alert: u };
  }

  private fromRow(u: AlertRow, transition: AlertMessageV2['transition'], changedAt: string): AlertMessageV2 {
    return this.message(
      {
        id: u.id,
        tenant: u.tenant,
        ruleId: u.rule_id,
        ruleVersion: u.rule_version,
        groupKey: u.group_key,
        severity: u.severity,
        title: u.title,
        firedAt: u.first_fired_at.toISOString(),
        fireCount: u.fire_count,
        seqs: u.matched_seqs.map(Number),
        changeIds: u.change_ids,
      },
      transition,
      u.state,
      changedAt,
    );
  }

  private message(
    a: { id: string; tenant: string; ruleId: string; ruleVersion: number; groupKey: string; severity: AlertMessageV2['severity']; title: string; firedAt: string; fireCount: number; seqs: number[]; changeIds: string[] },
    transition: AlertMessageV2['transition'],
    state: AlertState,
    changedAt: string,
  ): AlertMessageV2 {
    return AlertMessageV2.parse({
      schemaVersion: 2,
      tenant: a.tenant,
      alertId: a.id,
      ruleId: a.ruleId,
      ruleVersion: a.ruleVersion,
      severity: a.severity,
      title: a.title.slice(0, 512),
      transition,
      state,
      groupKey: a.groupKey.slice(0, 512),
      firedAt: new Date(a.firedAt).toISOString(),
      changedAt: new Date(changedAt).toISOString(),
      fireCount: a.fireCount,
      matchedSeqs: a.seqs.slice(-1000),
      links: alertLinks(this.links, a.id, a.seqs, a.changeIds),
    });
  }

  /** Outbox rows: the Kafka message, the ledger event, and one webhook per channel, all due now. */
  private async enqueue(client: PoolClient, channels: readonly string[], message: AlertMessageV2, summary: string, by: Parameters<typeof alertLedgerEvent>[2], now: Date): Promise<void> {
    const event = AcceptedEvent.parse(alertLedgerEvent(message, summary, by, this.newId(now), now));
    const rows: [string, string | null, unknown][] = [
      ['alert-message', null, message],
      ['ledger-event', null, event],
      ...channels.map((c): [string, string, unknown] => ['webhook', c, { message, summary }]),
    ];
    await client.query(
      `INSERT INTO query.alert_outbox (tenant, alert_id, kind, channel, payload, next_attempt_at, created_at)
       SELECT $1, $2, r.kind, r.channel, r.payload, $3, $3 FROM jsonb_to_recordset($4::jsonb) AS r(kind text, channel text, payload jsonb)`,
      [message.tenant, message.alertId, now.toISOString(), JSON.stringify(rows.map(([kind, channel, payload]) => ({ kind, channel, payload })))],
    );
  }
}
