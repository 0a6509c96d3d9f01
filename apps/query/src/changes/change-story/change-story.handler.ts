import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import type { Principal } from '@audit/auth';
import type { Pool } from '@audit/db';
import { InjectConfig, InjectPool } from '@audit/service-shell';
import type { QueryConfig } from '../../config';
import { fail, ok, Problems, type Result } from '../../http/problem';
import { toStoryEvent } from '../../projections/postgres/lifecycle.projector';
import { withTenantReader } from '../../projections/postgres/tenant-reader';
import { AuditReadRecorder } from '../../reads/audit-read.recorder';
import { summarizeChange, type ChangeSummary } from './change-verdicts';

export interface ChangeStory extends ChangeSummary {
  /** In ledger order; a record whose payload retention removed shows as `redacted: true` with what the ledger kept. */
  events: (Record<string, unknown> & { seq: number; proof: { inclusion: string } })[];
}

const RedactedRow = z.object({ seq: z.coerce.number().int().positive(), recorded_at: z.date(), hash: z.string(), type: z.string(), occurred_at: z.date(), redacted_at: z.date() });

/** `GET /v1/changes/:changeId`: every event of the change in ledger order, with the verdicts. */
@Injectable()
export class ChangeStoryHandler {
  constructor(
    @InjectPool() private readonly pool: Pool,
    @InjectConfig() private readonly config: QueryConfig,
    private readonly reads: AuditReadRecorder,
  ) {}

  async execute(principal: Principal, changeId: string): Promise<Result<ChangeStory>> {
    const rows = await withTenantReader(this.pool, principal.tenant, async (client) =>
      (await client.query('SELECT seq, recorded_at, hash, event, type, occurred_at, redacted_at FROM query.change_events WHERE change_id = $1 ORDER BY seq', [changeId])).rows,
    );
    const recorded = await this.reads.record({ principal, endpoint: '/v1/changes/{changeId}', query: { changeId }, resultCount: rows.length });
    if (!recorded.ok) return recorded;
    if (rows.length === 0) return fail(Problems.notFound(`no change "${changeId}" in your tenant`));
    const kept = rows.filter((r: { event: unknown }) => r.event !== null);
    const redacted = rows.filter((r: { event: unknown }) => r.event === null).map((r) => RedactedRow.parse(r));
    if (kept.length === 0) return fail(Problems.redacted(`every record of change "${changeId}" was redacted by retention (seqs ${redacted.map((r) => r.seq).join(', ')}); their hashes stay verifiable in the ledger`));
    const events = kept.map(toStoryEvent);
    const ledger = this.config.LEDGER_PUBLIC_URL.replace(/\/$/, '');
    const proof = (seq: number) => ({ inclusion: `${ledger}/v1/proofs/inclusion?seq=${seq}` });
    return ok({
      ...summarizeChange(changeId, events),
      events: [
        ...events.map((e) => ({ ...e.event, seq: e.seq, recordedAt: e.recordedAt, hash: e.hash, proof: proof(e.seq) })),
        ...redacted.map((r) => ({
          seq: r.seq,
          type: r.type,
          changeId,
          occurredAt: r.occurred_at.toISOString(),
          recordedAt: r.recorded_at.toISOString(),
          hash: r.hash,
          redacted: true,
          redactedAt: r.redacted_at.toISOString(),
          proof: proof(r.seq),
        })),
      ].sort((a, b) => a.seq - b.seq),
    });
  }
}
