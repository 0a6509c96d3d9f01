import type { Pool, PoolClient } from 'pg';
import type { AcceptedEvent } from '@audit/contracts';
import { withTransaction } from '@audit/db';
import { GENESIS_PREV_HASH, MerkleFrontier } from '@audit/ledger-core';
import { traceHeaders } from '@audit/observability';
import { maybeCrash, maybeFailAppend } from '../fault-injection';
import { LedgerHoldError, PositionGapError } from './append-errors';
import { planAppend, uniqueById, type PlannedRecord, type TenantHead } from './plan-append';

export interface AppendBatch {
  /** Events with the Kafka offset each was read at. */
  events: readonly { event: AcceptedEvent; offset: string }[];
  /**
   * The Kafka position this batch ends at (`nextOffset`), stored in the same transaction as its records,
   * and where the consumer stood when it read the batch (`fromOffset`, first offset, valid or not).
   */
  position: { groupId: string; topic: string; partition: number; nextOffset: string; fromOffset?: string };
}

export interface AppendResult {
  appended: number;
  duplicates: number;
  /** Events below the position already stored for the partition AND already in the ledger (or recorded
   * as failed): written before, by us or by the instance that owned the partition meanwhile. A paused
   * "zombie" writer only ever lands here. */
  fenced: number;
  /** New head seq per tenant that received records. */
  heads: Map<string, number>;
}

/**
 * Appends a batch to the ledger in ONE transaction: records, chain heads, outbox rows and the consumer
 * offset commit together or not at all, so a crash anywhere neither loses nor duplicates a record.
 * Tenants are locked in sorted order (heads row FOR UPDATE) so concurrent writers cannot deadlock.
 */
export class LedgerWriter {
  constructor(
    private readonly pool: Pool,
    private readonly namespace = '',
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async append(batch: AppendBatch): Promise<AppendResult> {
    return withTransaction(this.pool, async (tx) => {
      // Fence first: the stored position of this partition is locked for the whole transaction, and
      // nothing below it is written again, whoever asks.
      const { stored, existed } = await this.lockPosition(tx, batch.position);
      this.refuseGap(batch, stored, existed);
      const live = batch.events.filter((e) => BigInt(e.offset) >= stored);
      // Below the position only counts as written if it IS written: an event there the ledger never saw
      // comes from another incarnation of the topic (recreated, new cluster), and skipping it would lose it.
      await this.refuseUnwrittenBelow(tx, batch, stored);
      const result: AppendResult = { appended: 0, duplicates: 0, fenced: batch.events.length - live.length, heads: new Map() };
      const byTenant = new Map<string, AcceptedEvent[]>();
      for (const { event } of live) {
        const list = byTenant.get(event.tenant) ?? [];
        list.push(event);
        byTenant.set(event.tenant, list);
      }
      const planned: PlannedRecord[] = [];
      const recordedAt = this.clock();
      for (const tenant of [...byTenant.keys()].sort()) {
        const events = byTenant.get(tenant) ?? [];
        const head = await this.lockHead(tx, tenant);
        const stored = await this.storedIds(tx, tenant, events.map((e) => e.id));
        const fresh = uniqueById(events, stored);
        result.duplicates += events.length - fresh.length;
        if (fresh.length === 0) continue;
        for (const e of fresh) maybeFailAppend(e);
        const plan = planAppend(head, fresh, recordedAt);
        planned.push(...plan.records);
        await tx.query('UPDATE ledger.heads SET seq = $2, hash = $3, frontier = $4, updated_at = now() WHERE tenant = $1', [
          tenant,
          plan.head.seq,
          plan.head.hash,
          JSON.stringify(plan.head.frontier.toJSON()),
        ]);
        result.heads.set(tenant, plan.head.seq);
      }
      if (planned.length > 0) await this.insertRecords(tx, planned);
      result.appended = planned.length;
      await this.storePosition(tx, batch.position);
      maybeCrash('before-db-commit');
      return result;
    });
  }

  private async lockHead(tx: PoolClient, tenant: string): Promise<TenantHead> {
    await tx.query(
      `INSERT INTO ledger.heads (tenant, seq, hash, frontier, namespace) VALUES ($1, 0, $2, $3, $4) ON CONFLICT (tenant) DO NOTHING`,
      [tenant, GENESIS_PREV_HASH, JSON.stringify(MerkleFrontier.empty().toJSON()), this.namespace],
    );
    const { rows } = await tx.query<{ seq: string; hash: Buffer; frontier: unknown }>(
      'SELECT seq, hash, frontier FROM ledger.heads WHERE tenant = $1 FOR UPDATE',
      [tenant],
    );
    const row = rows[0];
    if (!row) throw new Error(`ledger head of ${tenant} vanished`);
    const frontier = MerkleFrontier.fromJSON(row.frontier);
    const seq = Number(row.seq);
    // A head whose frontier disagrees with its seq would fork the tree: refuse to write on top of it.
    if (frontier.size !== seq) throw new LedgerHoldError(`ledger head of ${tenant} is inconsistent: seq ${seq}, frontier size ${frontier.size}`);
    return { seq, hash: row.hash, frontier };
  }

  private async refuseUnwrittenBelow(tx: PoolClient, batch: AppendBatch, stored: bigint): Promise<void> {
    const below = batch.events.filter((e) => BigInt(e.offset) < stored);
    if (below.length === 0) return;
    const known = await this.writtenOrFailed(tx, below.map((e) => e.event));
    const unwritten = below.filter((e) => !known.has(`${e.event.tenant}/${e.event.id}`));
    if (unwritten.length === 0) return;
    const { topic, partition, groupId } = batch.position;
    throw new LedgerHoldError(
      `${unwritten.length} event(s) of ${topic} partition ${partition} at offsets ${unwritten[0]!.offset}..${unwritten[unwritten.length - 1]!.offset} lie below the stored position ${stored} ` +
        `(consumer group ${groupId}) but were never written to the ledger: the topic was recreated or the Kafka cluster replaced since that position was stored. ` +
        `Nothing is skipped; the partition is held. Operator: make sure this is the intended topic, then run ` +
        `\`audit-ledger ledger reset-position --topic ${topic} --partition ${partition} --group ${groupId} --to 0 --reason <why>\` to continue from the new topic's offsets.`,
    );
  }

  /** `tenant/id` of the events already in the ledger, or already recorded there as failed (ledger.append_failed). */
  private async writtenOrFailed(tx: PoolClient, events: readonly AcceptedEvent[]): Promise<Set<string>> {
    const { rows } = await tx.query<{ tenant: string; event_id: string }>(
      `SELECT r.tenant, r.event_id::text AS event_id FROM ledger.records r JOIN unnest($1::text[], $2::uuid[]) AS u(tenant, id) ON r.tenant = u.tenant AND r.event_id = u.id
       UNION ALL
       SELECT r.tenant, r.canonical::jsonb #>> '{details,eventId}' FROM ledger.records r
        WHERE r.type = 'ledger.append_failed' AND r.tenant = ANY($1::text[]) AND r.canonical::jsonb #>> '{details,eventId}' = ANY($3::text[])`,
      [events.map((e) => e.tenant), events.map((e) => e.id), events.map((e) => e.id)],
    );
    return new Set(rows.map((r) => `${r.tenant}/${r.event_id}`));
  }

  private async storedIds(tx: PoolClient, tenant: string, ids: string[]): Promise<Set<string>> {
    const { rows } = await tx.query<{ event_id: string }>('SELECT event_id FROM ledger.records WHERE tenant = $1 AND event_id = ANY($2::uuid[])', [tenant, ids]);
    return new Set(rows.map((r) => r.event_id));
  }

  /** One round trip for the whole batch: arrays unnested server-side. */
  private async insertRecords(tx: PoolClient, records: PlannedRecord[]): Promise<void> {
    await tx.query(
      `INSERT INTO ledger.records (tenant, seq, event_id, type, change_id, canonical, leaf_hash, hash, prev_hash, recorded_at)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::bytea[], $8::bytea[], $9::bytea[], $10::timestamptz[])`,
      [
        records.map((r) => r.tenant),
        records.map((r) => r.seq),
        records.map((r) => r.eventId),
        records.map((r) => r.type),
        records.map((r) => r.changeId),
        records.map((r) => r.canonical),
        records.map((r) => r.leafHash),
        records.map((r) => r.hash),
        records.map((r) => r.prevHash),
        records.map((r) => r.recordedAt),
      ],
    );
    await tx.query(
      'INSERT INTO ledger.outbox (tenant, seq, namespace, traceparent) SELECT t, s, $3, $4 FROM unnest($1::text[], $2::bigint[]) AS u(t, s)',
      [records.map((r) => r.tenant), records.map((r) => r.seq), this.namespace, traceHeaders().traceparent ?? null],
    );
  }

  private refuseGap(batch: AppendBatch, stored: bigint, existed: boolean): void {
    const from = batch.position.fromOffset;
    // A partition seen for the first time may start anywhere (retention removed its beginning).
    if (!existed || from === undefined || BigInt(from) <= stored) return;
    const { topic, partition } = batch.position;
    throw new PositionGapError(
      stored.toString(),
      from,
      `${topic} partition ${partition}: the batch starts at offset ${from}, above the stored position ${stored}: offsets ${stored}..${BigInt(from) - 1n} never reached the ledger ` +
        `(another topic incarnation whose consumer offset was ahead, or deleted by retention before the ledger read them).`,
    );
  }

  private async lockPosition(tx: PoolClient, p: AppendBatch['position']): Promise<{ stored: bigint; existed: boolean }> {
    const inserted = await tx.query(
      `INSERT INTO ledger.consumer_offsets (group_id, topic, partition, next_offset) VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING`,
      [p.groupId, p.topic, p.partition],
    );
    const { rows } = await tx.query<{ next_offset: string }>(
      'SELECT next_offset FROM ledger.consumer_offsets WHERE group_id = $1 AND topic = $2 AND partition = $3 FOR UPDATE',
      [p.groupId, p.topic, p.partition],
    );
    return { stored: BigInt(rows[0]?.next_offset ?? '0'), existed: inserted.rowCount === 0 };
  }

  private async storePosition(tx: PoolClient, p: AppendBatch['position']): Promise<void> {
    await tx.query(
      `INSERT INTO ledger.consumer_offsets (group_id, topic, partition, next_offset) VALUES ($1, $2, $3, $4)
       ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = GREATEST(ledger.consumer_offsets.next_offset, EXCLUDED.next_offset), updated_at = now()`,
      [p.groupId, p.topic, p.partition, p.nextOffset],
    );
  }
}
