import type { CommittedRecord } from '@audit/contracts';
import type { Pool, PoolClient } from '@audit/db';
import { redactedSeqs } from '@audit/ledger-store';
import type { Logger } from '@audit/observability';
import type { StoryEvent } from '../../changes/change-story/change-verdicts';
import { toStoryEvent } from '../../projections/postgres/lifecycle.projector';
import { retentionRange } from '../../projections/retention-followup';
import { withProjectorWriter } from '../../projections/postgres/tenant-reader';
import type { Clock } from '../../clock';
import { ALERTING_SOURCE } from '../alerts/alert-events';
import type { AlertStore, FiringOutcome } from '../alerts/alert.store';
import { isStreaming } from '../rules/alert-rule.schema';
import type { RuleRepository } from '../rules/rule.repository';
import { needsChangeHistory, stateKeys, step, type KeyState, type StateUpdate } from './stream-evaluator';

export interface BatchResult {
  applied: number;
  skipped: number;
  firings: { ruleId: string; groupKey: string; outcome: FiringOutcome }[];
}

/**
 * The shell of streaming evaluation: per tenant, one transaction holds the tenant's advisory lock, skips
 * records at or below the stored position, runs every enabled streaming rule over each fresh record
 * (state loaded and locked as the pure step names it), applies firings to alerts and the outbox, and
 * moves the position. Kafka offsets are committed after; a redelivered batch finds its records below
 * the position and changes nothing.
 */
export class StreamingEvaluation {
  constructor(
    private readonly pool: Pool,
    private readonly rules: RuleRepository,
    private readonly alerts: AlertStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async apply(records: readonly CommittedRecord[]): Promise<BatchResult> {
    const byTenant = new Map<string, CommittedRecord[]>();
    for (const r of records) byTenant.set(r.event.tenant, [...(byTenant.get(r.event.tenant) ?? []), r]);
    const result: BatchResult = { applied: 0, skipped: 0, firings: [] };
    for (const tenant of [...byTenant.keys()].sort()) {
      const r = await withProjectorWriter(this.pool, (client) => this.applyTenant(client, tenant, byTenant.get(tenant)!));
      result.applied += r.applied;
      result.skipped += r.skipped;
      result.firings.push(...r.firings);
    }
    return result;
  }

  private async applyTenant(client: PoolClient, tenant: string, records: CommittedRecord[]): Promise<BatchResult> {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('query.alerting'), hashtext($1))", [tenant]);
    const { rows } = await client.query<{ last_seq: string }>('SELECT last_seq FROM query.alert_positions WHERE tenant = $1', [tenant]);
    const lastSeq = Number(rows[0]?.last_seq ?? 0);
    // Above the stored position and once per seq: the ledger re-announces records after a crash, and
    // both copies can arrive in the same batch (the position only guards across batches).
    const fresh = uniqueBySeq(records.filter((r) => r.seq > lastSeq));
    const result: BatchResult = { applied: fresh.length, skipped: records.length - fresh.length, firings: [] };
    if (fresh.length === 0) return result;
    const rules = (await this.rules.currentRules(client, tenant)).filter((r) => r.definition.enabled && isStreaming(r.definition));
    const states = new StateCache(client, tenant);
    const now = this.clock();
    for (const record of fresh) {
      if (record.event.changeId) {
        await client.query(
          `INSERT INTO query.alert_change_events (tenant, seq, change_id, recorded_at, hash, event) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
          [tenant, record.seq, record.event.changeId, record.recordedAt, record.hash, JSON.stringify(record.event)],
        );
      }
      // A retention run's redactions leave the change histories rules read too (the ledger says which).
      const redacted = retentionRange(record);
      if (redacted) {
        const seqs = (await redactedSeqs(this.pool, tenant, redacted.firstSeq, redacted.lastSeq)).map((r) => r.seq);
        await client.query('DELETE FROM query.alert_change_events WHERE tenant = $1 AND seq = ANY($2::bigint[])', [tenant, seqs]);
      }
      // Alerts are recorded as events too; evaluating them would let one alert feed the next.
      if (record.event.source?.system === ALERTING_SOURCE) continue;
      let history: StoryEvent[] | undefined;
      for (const rule of rules) {
        const keys = stateKeys(rule.definition, record);
        const loaded = await states.load(rule.id, keys);
        let changeEvents: StoryEvent[] | undefined;
        if (needsChangeHistory(rule.definition, record)) {
          history ??= await this.changeHistory(client, tenant, record.event.changeId!, record.seq);
          changeEvents = history;
        }
        const { updates, firings } = step({ rule, record, states: loaded, ...(changeEvents ? { changeEvents } : {}) });
        states.update(rule.id, updates);
        for (const firing of firings) {
          const outcome = await this.alerts.applyFiring(client, rule, firing, now);
          result.firings.push({ ruleId: rule.id, groupKey: firing.groupKey, outcome });
          this.logger.info({ tenant, ruleId: rule.id, groupKey: firing.groupKey, seq: record.seq, outcome }, 'alert rule fired');
        }
      }
    }
    await states.flush();
    await client.query(
      `INSERT INTO query.alert_positions (tenant, last_seq) VALUES ($1, $2)
       ON CONFLICT (tenant) DO UPDATE SET last_seq = GREATEST(query.alert_positions.last_seq, EXCLUDED.last_seq)`,
      [tenant, fresh[fresh.length - 1]!.seq],
    );
    return result;
  }

  private async changeHistory(client: PoolClient, tenant: string, changeId: string, uptoSeq: number): Promise<StoryEvent[]> {
    const { rows } = await client.query(
      'SELECT seq, recorded_at, hash, event FROM query.alert_change_events WHERE tenant = $1 AND change_id = $2 AND seq <= $3 ORDER BY seq',
      [tenant, changeId, uptoSeq],
    );
    return rows.map(toStoryEvent);
  }
}

/** Sorted by seq, the first copy of each seq kept. */
export function uniqueBySeq(records: readonly CommittedRecord[]): CommittedRecord[] {
  const sorted = [...records].sort((a, b) => a.seq - b.seq);
  return sorted.filter((r, i) => i === 0 || sorted[i - 1]!.seq !== r.seq);
}

/** Rule state of one tenant for the length of a transaction: loaded (locked) once, written once. */
class StateCache {
  private readonly entries = new Map<string, { state: KeyState | null; dueAt: string | null; dirty: boolean }>();

  constructor(
    private readonly client: PoolClient,
    private readonly tenant: string,
  ) {}

  async load(ruleId: string, keys: string[]): Promise<Map<string, KeyState>> {
    const missing = keys.filter((k) => !this.entries.has(cacheKey(ruleId, k)));
    if (missing.length > 0) {
      const { rows } = await this.client.query<{ key: string; state: unknown; due_at: Date | null }>(
        'SELECT key, state, due_at FROM query.alert_rule_state WHERE tenant = $1 AND rule_id = $2 AND key = ANY($3) FOR UPDATE',
        [this.tenant, ruleId, missing],
      );
      for (const k of missing) this.entries.set(cacheKey(ruleId, k), { state: null, dueAt: null, dirty: false });
      for (const r of rows) {
        const state = r.state !== null && typeof r.state === 'object' && !Array.isArray(r.state) ? (r.state as KeyState) : null;
        this.entries.set(cacheKey(ruleId, r.key), { state, dueAt: r.due_at?.toISOString() ?? null, dirty: false });
      }
    }
    const out = new Map<string, KeyState>();
    for (const k of keys) {
      const e = this.entries.get(cacheKey(ruleId, k));
      if (e?.state) out.set(k, e.state);
    }
    return out;
  }

  update(ruleId: string, updates: StateUpdate[]): void {
    for (const u of updates) {
      const prev = this.entries.get(cacheKey(ruleId, u.key));
      this.entries.set(cacheKey(ruleId, u.key), { state: u.state, dueAt: u.dueAt === undefined ? (prev?.dueAt ?? null) : u.dueAt, dirty: true });
    }
  }

  async flush(): Promise<void> {
    for (const [k, e] of this.entries) {
      if (!e.dirty) continue;
      const [ruleId, key] = JSON.parse(k) as [string, string];
      if (e.state === null) {
        await this.client.query('DELETE FROM query.alert_rule_state WHERE tenant = $1 AND rule_id = $2 AND key = $3', [this.tenant, ruleId, key]);
      } else {
        await this.client.query(
          `INSERT INTO query.alert_rule_state (tenant, rule_id, key, state, due_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (tenant, rule_id, key) DO UPDATE SET state = EXCLUDED.state, due_at = EXCLUDED.due_at`,
          [this.tenant, ruleId, key, JSON.stringify(e.state), e.dueAt],
        );
      }
    }
  }
}

const cacheKey = (ruleId: string, key: string) => JSON.stringify([ruleId, key]);
