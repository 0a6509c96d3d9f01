import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import type { CommittedRecord } from '@audit/contracts';
import type { Pool } from '@audit/db';
import { gauge, type Logger, type ReadinessCheck, type Registry } from '@audit/observability';
import { READINESS_CHECKS } from '@audit/observability/nest';
import { InjectConfig, InjectLogger, InjectMetrics, InjectOpenSearch, InjectPool } from '@audit/service-shell';
import type { ProjectionName, QueryConfig } from '../../config';
import { documentId, indexName, tenantIndexPattern } from '../opensearch/event-index';
import { LifecycleProjector } from '../postgres/lifecycle.projector';
import { committedFromLedgerRow, documentFromLedgerRow, type LedgerRow } from './ledger-documents';

const PAGE = 500;

/**
 * The projections catch up from the ledger itself when they miss records that Kafka will not bring back
 * (OpenSearch data reset, Postgres views restored from an old backup, a recreated committed topic).
 * Every QUERY_CATCHUP_INTERVAL_MS, per tenant of this namespace, each projection this instance runs is
 * compared with the ledger's records older than QUERY_CATCHUP_SETTLE_MS (younger ones may simply be in
 * flight): OpenSearch by the documents it holds up to that seq, Postgres by its stored position. A
 * projection short of it is fed from `ledger.records` (idempotent: same `_id`s, same per-seq keys as the
 * live projectors). Meanwhile `/readyz` is not ready and names the progress.
 */
@Injectable()
export class ProjectionCatchUp implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly progress = new Map<string, { done: number; target: number }>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly remaining;
  private readonly lifecycle: LifecycleProjector;

  constructor(
    @InjectConfig() private readonly config: QueryConfig,
    @InjectPool() private readonly pool: Pool,
    @InjectOpenSearch() private readonly client: OpenSearchClient,
    @InjectLogger() private readonly logger: Logger,
    @InjectMetrics() metrics: Registry,
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
  ) {
    this.remaining = gauge(metrics, 'query_projection_catchup_remaining', 'records a projection is re-reading from the ledger', ['projection', 'tenant']);
    this.lifecycle = new LifecycleProjector(pool, logger);
  }

  onApplicationBootstrap(): void {
    if (this.config.QUERY_PROJECTORS.length === 0 || this.config.QUERY_CATCHUP_INTERVAL_MS === 0) return;
    this.checks.push({
      name: 'projection-catch-up',
      check: () => (this.progress.size === 0 ? Promise.resolve() : Promise.reject(new Error(`catching up from the ledger: ${this.describe()}`))),
    });
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** `opensearch tenant a 500/1200, postgres tenant b 0/40`: what /readyz says while catching up. */
  describe(): string {
    return [...this.progress].map(([key, p]) => `${key} ${p.done}/${p.target}`).join(', ');
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .catch((error: unknown) => this.logger.error({ err: error }, 'projection catch-up failed; retrying next tick'))
        .finally(() => this.schedule());
    }, this.config.QUERY_CATCHUP_INTERVAL_MS);
    this.timer.unref();
  }

  async tick(): Promise<void> {
    const { rows } = await this.pool.query<{ tenant: string; settled: string | null }>(
      `SELECT h.tenant, (SELECT max(r.seq) FROM ledger.records r WHERE r.tenant = h.tenant AND r.recorded_at < now() - make_interval(secs => $2::double precision / 1000)) AS settled
         FROM ledger.heads h WHERE h.namespace = $1 AND h.seq > 0 ORDER BY h.tenant`,
      [this.config.KAFKA_TOPIC_NAMESPACE, this.config.QUERY_CATCHUP_SETTLE_MS],
    );
    for (const { tenant, settled } of rows) {
      const target = Number(settled ?? 0);
      if (target === 0) continue;
      for (const projection of this.config.QUERY_PROJECTORS) {
        if (this.stopped) return;
        if (projection === 'opensearch' && (await this.indexedUpTo(tenant, target)) < target) await this.catchUp('opensearch', tenant, 0, target);
        if (projection === 'postgres') {
          const position = await this.lifecycle.lastSeq(this.pool, tenant);
          if (position < target) await this.catchUp('postgres', tenant, position, target);
        }
      }
    }
  }

  private async indexedUpTo(tenant: string, seq: number): Promise<number> {
    const index = tenantIndexPattern(this.config.OPENSEARCH_INDEX_PREFIX, tenant);
    await this.client.indices.refresh({ index, allow_no_indices: true, ignore_unavailable: true });
    const res = await this.client.count({ index, allow_no_indices: true, ignore_unavailable: true, body: { query: { bool: { filter: [{ term: { tenant: { value: tenant } } }, { range: { seq: { lte: seq } } }] } } } });
    return Number(res.body.count);
  }

  /** Feeds seqs (from, target] of the tenant from the ledger to one projection, page by page. */
  private async catchUp(projection: ProjectionName, tenant: string, from: number, target: number): Promise<void> {
    this.logger.warn({ projection, tenant, from, target }, 'projection is missing records the ledger holds: catching up from the ledger');
    const key = `${projection} tenant ${tenant}`;
    const progress = { done: from, target };
    this.progress.set(key, progress);
    try {
      let after = from;
      while (after < target && !this.stopped) {
        const page = await this.readPage(tenant, after, target);
        if (page.length === 0) break;
        await (projection === 'opensearch' ? this.indexPage(tenant, page) : this.projectPage(tenant, page));
        after = page[page.length - 1]!.seq;
        progress.done = after;
        this.remaining.set({ projection, tenant }, target - after);
      }
      this.logger.info({ projection, tenant, target }, 'projection caught up from the ledger');
    } finally {
      this.progress.delete(key);
      this.remaining.set({ projection, tenant }, 0);
    }
  }

  private async indexPage(tenant: string, page: LedgerRow[]): Promise<void> {
    const body: unknown[] = [];
    for (const row of page) {
      const built = documentFromLedgerRow(tenant, row);
      if ('invalid' in built) {
        this.logger.error({ tenant, seq: row.seq, reason: built.invalid }, 'ledger row not re-indexed');
        continue;
      }
      body.push({ index: { _index: indexName(this.config.OPENSEARCH_INDEX_PREFIX, tenant, built.placedAt), _id: documentId(tenant, row.seq) } }, built.document);
    }
    if (body.length === 0) return;
    const res = await this.client.bulk({ body: body as never });
    if (res.body.errors) throw new Error(`re-indexing ${tenant} from the ledger failed: ${JSON.stringify(res.body.items).slice(0, 500)}`);
  }

  private async projectPage(tenant: string, page: LedgerRow[]): Promise<void> {
    const records: CommittedRecord[] = [];
    const redacted: Parameters<LifecycleProjector['applyLedgerPage']>[2][number][] = [];
    for (const row of page) {
      const built = committedFromLedgerRow(tenant, row);
      if ('invalid' in built) this.logger.error({ tenant, seq: row.seq, reason: built.invalid }, 'ledger row not projected');
      else if ('record' in built) records.push(built.record);
      else redacted.push({ seq: row.seq, changeId: row.changeId, type: row.type, recordedAt: row.recordedAt, hash: row.hash.toString('hex'), redactedAt: built.redactedAt });
    }
    await this.lifecycle.applyLedgerPage(tenant, records, redacted, page[page.length - 1]!.seq);
  }

  private async readPage(tenant: string, after: number, upTo: number): Promise<LedgerRow[]> {
    const { rows } = await this.pool.query<{ seq: string; event_id: string; type: string; change_id: string | null; canonical: string | null; recorded_at: Date; redacted_at: Date | null; leaf_hash: Buffer; hash: Buffer; prev_hash: Buffer }>(
      `SELECT seq, event_id, type, change_id, canonical, recorded_at, redacted_at, leaf_hash, hash, prev_hash FROM ledger.records
        WHERE tenant = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4`,
      [tenant, after, upTo, PAGE],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      eventId: r.event_id,
      type: r.type,
      changeId: r.change_id,
      canonical: r.canonical,
      recordedAt: r.recorded_at,
      redactedAt: r.redacted_at,
      leafHash: r.leaf_hash,
      hash: r.hash,
      prevHash: r.prev_hash,
    }));
  }
}
