import { performance } from 'node:perf_hooks';
import type { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import type { Pool } from '@audit/db';
import { EventMix } from './events';

/**
 * What happened to every event the bench sent: scheduled send time, HTTP outcome, and — by polling the
 * ledger's head and OpenSearch's highest visible seq per tenant — when it became committed and searchable.
 * Polling resolution is part of every latency (at most `pollMs`).
 */
export class Tracker {
  readonly scheduledAt: number[] = [];
  readonly tenantOf: number[] = [];
  readonly accepted: boolean[] = [];
  readonly phaseOf: string[] = [];
  /** n → (tenant, seq) once read back from the ledger; a second entry for the same n is a duplicate. */
  readonly seqOf = new Map<number, number>();
  duplicates = 0;
  readonly committedObs: [number, number][][];
  readonly searchableObs: [number, number][][];
  private readonly mappedUpTo: number[];
  private polling = false;
  private loops: Promise<void>[] = [];

  constructor(
    readonly tenants: string[],
    private readonly pool: Pool,
    private readonly os: OpenSearchClient,
    private readonly indexPattern: string,
    private readonly pollMs = 25,
  ) {
    this.committedObs = tenants.map(() => []);
    this.searchableObs = tenants.map(() => []);
    this.mappedUpTo = tenants.map(() => 0);
  }

  schedule(n: number, tenant: number, at: number, phase: string): void {
    this.scheduledAt[n] = at;
    this.tenantOf[n] = tenant;
    this.accepted[n] = false;
    this.phaseOf[n] = phase;
  }

  start(): void {
    this.polling = true;
    this.loops = [this.loop(() => this.pollCommitted()), this.loop(() => this.pollSearchable())];
  }

  async stop(): Promise<void> {
    this.polling = false;
    await Promise.all(this.loops);
  }

  committedMax(t: number): number {
    return this.committedObs[t]!.at(-1)?.[0] ?? 0;
  }

  searchableMax(t: number): number {
    return this.searchableObs[t]!.at(-1)?.[0] ?? 0;
  }

  /** Reads (tenant, seq, marker) of new ledger rows, so every sent event can be found by its marker. */
  async mapLedger(): Promise<void> {
    for (let t = 0; t < this.tenants.length; t++) {
      for (;;) {
        const { rows } = await this.pool.query<{ seq: string; run_id: string | null }>(
          `SELECT seq, canonical::jsonb #>> '{source,runId}' AS run_id FROM ledger.records WHERE tenant = $1 AND seq > $2 ORDER BY seq LIMIT 50000`,
          [this.tenants[t], this.mappedUpTo[t]],
        );
        for (const row of rows) {
          const n = EventMix.markerOf(row.run_id ?? undefined);
          if (n === undefined || Number.isNaN(n)) continue;
          if (this.seqOf.has(n)) this.duplicates++;
          else this.seqOf.set(n, Number(row.seq));
        }
        if (rows.length === 0) break;
        this.mappedUpTo[t] = Number(rows[rows.length - 1]!.seq);
        if (rows.length < 50000) break;
      }
    }
  }

  /** Time the event first showed in `obs` (first observation whose max seq reaches its seq). */
  private firstSeen(obs: [number, number][], seq: number): number | undefined {
    let lo = 0;
    let hi = obs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (obs[mid]![0] >= seq) hi = mid;
      else lo = mid + 1;
    }
    return obs[lo]?.[1];
  }

  latencies(phase: string): { committed: number[]; searchable: number[]; missingCommitted: number; missingSearchable: number } {
    const committed: number[] = [];
    const searchable: number[] = [];
    let missingCommitted = 0;
    let missingSearchable = 0;
    for (let n = 0; n < this.scheduledAt.length; n++) {
      if (this.phaseOf[n] !== phase || !this.accepted[n]) continue;
      const seq = this.seqOf.get(n);
      const t = this.tenantOf[n]!;
      const c = seq === undefined ? undefined : this.firstSeen(this.committedObs[t]!, seq);
      const s = seq === undefined ? undefined : this.firstSeen(this.searchableObs[t]!, seq);
      if (c === undefined) missingCommitted++;
      else committed.push(c - this.scheduledAt[n]!);
      if (s === undefined) missingSearchable++;
      else searchable.push(s - this.scheduledAt[n]!);
    }
    return { committed, searchable, missingCommitted, missingSearchable };
  }

  /** Time the last event of `phase` became searchable (and committed). */
  lastSeen(phase: string): { committed: number; searchable: number } {
    let committed = 0;
    let searchable = 0;
    for (let n = 0; n < this.scheduledAt.length; n++) {
      if (this.phaseOf[n] !== phase || !this.accepted[n]) continue;
      const seq = this.seqOf.get(n);
      if (seq === undefined) continue;
      const t = this.tenantOf[n]!;
      committed = Math.max(committed, this.firstSeen(this.committedObs[t]!, seq) ?? 0);
      searchable = Math.max(searchable, this.firstSeen(this.searchableObs[t]!, seq) ?? 0);
    }
    return { committed, searchable };
  }

  private async loop(poll: () => Promise<void>): Promise<void> {
    while (this.polling) {
      const t0 = performance.now();
      await poll().catch(() => undefined);
      await new Promise((r) => setTimeout(r, Math.max(1, this.pollMs - (performance.now() - t0))));
    }
  }

  private async pollCommitted(): Promise<void> {
    // One index probe per tenant (max over the primary key), not a scan.
    const { rows } = await this.pool.query<{ i: number; max: string | null }>(
      'SELECT i::int, (SELECT max(seq) FROM ledger.records WHERE tenant = t) AS max FROM unnest($1::text[]) WITH ORDINALITY AS u(t, i)',
      [this.tenants],
    );
    const now = performance.now();
    for (const row of rows) this.observe(this.committedObs[row.i - 1]!, Number(row.max ?? 0), now);
  }

  private async pollSearchable(): Promise<void> {
    // No refresh: an event counts as searchable once the index's own refresh exposed it.
    const res = await this.os.search({
      index: this.indexPattern,
      allow_no_indices: true,
      ignore_unavailable: true,
      body: { size: 0, aggs: { t: { terms: { field: 'tenant', size: this.tenants.length + 10 }, aggs: { max: { max: { field: 'seq' } } } } } },
    });
    const now = performance.now();
    const buckets = (res.body.aggregations as { t?: { buckets: { key: string; max: { value: number | null } }[] } } | undefined)?.t?.buckets ?? [];
    for (const b of buckets) {
      const i = this.tenants.indexOf(b.key);
      if (i >= 0) this.observe(this.searchableObs[i]!, b.max.value ?? 0, now);
    }
  }

  private observe(obs: [number, number][], max: number, now: number): void {
    if (max > (obs.at(-1)?.[0] ?? 0)) obs.push([max, now]);
  }
}
