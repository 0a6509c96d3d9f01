import { z } from 'zod';
import type { Pool } from '@audit/db';
import { withProjectorWriter } from '../projections/postgres/tenant-reader';

const PositionRow = z.object({ tenant: z.string(), last_seq: z.coerce.number().int().positive() });

/**
 * The delivered position of a sink: per tenant, the highest seq the receiver acknowledged. Written only
 * after a 2xx, and only forward (GREATEST), so a stale instance that lost its partitions in a rebalance
 * cannot move it back.
 */
export class SiemPositionStore {
  constructor(
    private readonly pool: Pool,
    private readonly sink: string,
    private readonly topic: string,
  ) {}

  async load(tenants: readonly string[]): Promise<Map<string, number>> {
    if (tenants.length === 0) return new Map();
    const { rows } = await withProjectorWriter(this.pool, (client) =>
      client.query('SELECT tenant, last_seq FROM query.siem_positions WHERE sink = $1 AND topic = $2 AND tenant = ANY($3::text[])', [this.sink, this.topic, tenants]),
    );
    return new Map(rows.map((row) => PositionRow.parse(row)).map((r) => [r.tenant, r.last_seq]));
  }

  async advance(positions: ReadonlyMap<string, number>, at: Date): Promise<void> {
    if (positions.size === 0) return;
    const tenants = [...positions.keys()];
    await withProjectorWriter(this.pool, (client) =>
      client.query(
        `INSERT INTO query.siem_positions (sink, topic, tenant, last_seq, delivered_at)
         SELECT $1, $2, t.tenant, t.last_seq, $5 FROM unnest($3::text[], $4::bigint[]) AS t(tenant, last_seq)
         ON CONFLICT (sink, topic, tenant) DO UPDATE
           SET last_seq = GREATEST(query.siem_positions.last_seq, EXCLUDED.last_seq), delivered_at = EXCLUDED.delivered_at`,
        [this.sink, this.topic, tenants, tenants.map((t) => positions.get(t)!), at],
      ),
    );
  }
}
