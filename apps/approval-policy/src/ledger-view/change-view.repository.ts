import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { AcceptedEvent, type CommittedRecord } from '@audit/contracts';
import type { Pool, PoolClient } from '@audit/db';
import { InjectPool } from '@audit/service-shell';
import { CHANGE_EVENT_TYPES, type ChangeEvent } from '@audit/change-lifecycle';

type Db = Pick<PoolClient, 'query'>;

/** The tables of the view, in the order a snapshot lists them (policies and sweeper memory are not view). */
export const VIEW_TABLES = ['change_events', 'changes', 'change_commits', 'plans', 'approvals', 'rejections', 'break_glass'] as const;

const StoredEventRow = z.object({ seq: z.coerce.number().int().positive(), event: AcceptedEvent });

/**
 * The change view in schema `approval`: a projection of `audit.committed.v1`. Every write is keyed by
 * (tenant, seq[, change]) and guarded by the insert into change_events, so applying a record twice —
 * redelivery, a rebuild racing the live consumer — changes nothing.
 */
@Injectable()
export class ChangeViewRepository {
  constructor(@InjectPool() private readonly pool: Pool) {}

  /** Applies committed records (any types; only a change's approval story is kept) in one transaction's client. */
  async apply(db: Db, records: readonly CommittedRecord[]): Promise<number> {
    let applied = 0;
    for (const record of records) {
      const e = record.event;
      if (!CHANGE_EVENT_TYPES.has(e.type)) continue;
      const changeIds = e.changeId ? [e.changeId] : e.type === 'review.submitted' && e.commit ? await this.changesOfCommit(db, e.tenant, e.commit.repo, e.commit.sha) : [];
      for (const changeId of changeIds) {
        const inserted = await db.query(
          `INSERT INTO approval.change_events (tenant, seq, change_id, type, event, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT DO NOTHING`,
          [e.tenant, record.seq, changeId, e.type, JSON.stringify(e), record.recordedAt],
        );
        if ((inserted.rowCount ?? 0) === 0) continue;
        await this.project(db, record, changeId);
        applied++;
      }
    }
    return applied;
  }

  private async changesOfCommit(db: Db, tenant: string, repo: string, sha: string): Promise<string[]> {
    const { rows } = await db.query<{ change_id: string }>('SELECT change_id FROM approval.change_commits WHERE tenant = $1 AND repo = $2 AND sha = $3 ORDER BY change_id', [tenant, repo, sha]);
    return rows.map((r) => r.change_id);
  }

  private async project(db: Db, { event: e, seq }: CommittedRecord, changeId: string): Promise<void> {
    const key = [e.tenant, seq, changeId];
    if (e.commit && (e.type === 'change.requested' || e.type === 'plan.created' || e.type.startsWith('deployment.'))) {
      await db.query(
        `INSERT INTO approval.change_commits (tenant, repo, sha, change_id, author, seq) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
        [e.tenant, e.commit.repo, e.commit.sha, changeId, e.commit.author ?? null, seq],
      );
    }
    switch (e.type) {
      case 'change.requested':
        // The first request of a change id is the request; a later duplicate request changes nothing.
        await db.query(
          `INSERT INTO approval.changes (tenant, change_id, requested_seq, requester_id, requester_roles, requester_teams, environment, resource_kind, resource_id, reason, requested_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
          [e.tenant, changeId, seq, e.actor.id, e.actor.roles, e.actor.teams, e.resource.environment, e.resource.kind, e.resource.id, e.reason ?? null, e.receivedAt],
        );
        return;
      case 'change.cancelled':
        await db.query('UPDATE approval.changes SET cancelled_seq = $3, cancel_reason = $4 WHERE tenant = $1 AND change_id = $2 AND cancelled_seq IS NULL', [e.tenant, changeId, seq, e.reason ?? '']);
        return;
      case 'plan.created':
        if (!e.plan) return;
        await db.query(
          `INSERT INTO approval.plans (tenant, seq, change_id, digest, summary, artifact_digest, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
          [e.tenant, seq, changeId, e.plan.digest, e.plan.summary ? JSON.stringify(e.plan.summary) : null, e.artifact?.digest ?? null, e.receivedAt],
        );
        return;
      case 'approval.granted':
      case 'approval.rejected':
      case 'review.submitted': {
        const via = e.type === 'review.submitted' ? 'github' : 'api';
        const granted = e.type === 'approval.granted' || (e.type === 'review.submitted' && e.outcome === 'allowed');
        const rejected = e.type === 'approval.rejected' || (e.type === 'review.submitted' && e.outcome === 'rejected');
        // A review that names no plan binds to the plan in force when it was committed (as the decider does).
        const planDigest = e.plan?.digest ?? (via === 'github' ? await this.currentPlan(db, e.tenant, changeId, seq) : null);
        if (granted) {
          await db.query(
            `INSERT INTO approval.approvals (tenant, seq, change_id, approver_id, approver_roles, approver_teams, plan_digest, via, comment, approved_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
            [...key, e.actor.id, e.actor.roles, e.actor.teams, planDigest, via, e.reason ?? null, e.receivedAt],
          );
        } else if (rejected) {
          await db.query(
            `INSERT INTO approval.rejections (tenant, seq, change_id, rejecter_id, rejecter_roles, rejecter_teams, plan_digest, via, reason, rejected_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
            [...key, e.actor.id, e.actor.roles, e.actor.teams, planDigest, via, e.reason ?? 'changes requested', e.receivedAt],
          );
        }
        return;
      }
      case 'approval.revoked':
        await db.query('UPDATE approval.approvals SET revoked_seq = $4 WHERE tenant = $1 AND change_id = $2 AND approver_id = $3 AND seq < $4 AND revoked_seq IS NULL', [
          e.tenant,
          changeId,
          e.actor.id,
          seq,
        ]);
        return;
      case 'breakglass.invoked':
      case 'breakglass.reviewed':
        await db.query(
          `INSERT INTO approval.break_glass (tenant, seq, change_id, kind, actor_id, actor_teams, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
          [...key, e.type === 'breakglass.invoked' ? 'invoked' : 'reviewed', e.actor.id, e.actor.teams, e.reason ?? null, e.receivedAt],
        );
        return;
      default:
        return;
    }
  }

  private async currentPlan(db: Db, tenant: string, changeId: string, beforeSeq: number): Promise<string | null> {
    const { rows } = await db.query<{ digest: string }>('SELECT digest FROM approval.plans WHERE tenant = $1 AND change_id = $2 AND seq < $3 ORDER BY seq DESC LIMIT 1', [tenant, changeId, beforeSeq]);
    return rows[0]?.digest ?? null;
  }

  /** The decider's input for one change, validated on the way back from the database. */
  async changeEvents(tenant: string, changeId: string): Promise<ChangeEvent[]> {
    const { rows } = await this.pool.query('SELECT seq, event FROM approval.change_events WHERE tenant = $1 AND change_id = $2 ORDER BY seq', [tenant, changeId]);
    return rows.map((row) => StoredEventRow.parse(row));
  }

  /** Everything the view holds for a tenant, ordered: what "rebuilt == live" compares. */
  async snapshot(tenant: string): Promise<Record<(typeof VIEW_TABLES)[number], unknown[]>> {
    const out = {} as Record<(typeof VIEW_TABLES)[number], unknown[]>;
    for (const table of VIEW_TABLES) {
      const { rows } = await this.pool.query(`SELECT * FROM approval.${table} WHERE tenant = $1 ORDER BY 1, 2, 3, 4`, [tenant]);
      out[table] = rows;
    }
    return out;
  }

  /** Drops the view (of one tenant, or all of it) ahead of a rebuild. */
  async clear(db: Db, tenant?: string): Promise<void> {
    for (const table of VIEW_TABLES) {
      if (tenant) await db.query(`DELETE FROM approval.${table} WHERE tenant = $1`, [tenant]);
      else await db.query(`TRUNCATE approval.${table}`);
    }
  }
}
