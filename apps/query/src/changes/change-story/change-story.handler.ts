import { Injectable } from '@nestjs/common';
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
  events: (Record<string, unknown> & { seq: number; proof: { inclusion: string } })[];
}

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
      (await client.query('SELECT seq, recorded_at, hash, event FROM query.change_events WHERE change_id = $1 ORDER BY seq', [changeId])).rows,
    );
    const recorded = await this.reads.record({ principal, endpoint: '/v1/changes/{changeId}', query: { changeId }, resultCount: rows.length });
    if (!recorded.ok) return recorded;
    if (rows.length === 0) return fail(Problems.notFound(`no change "${changeId}" in your tenant`));
    const events = rows.map(toStoryEvent);
    const ledger = this.config.LEDGER_PUBLIC_URL.replace(/\/$/, '');
    return ok({
      ...summarizeChange(changeId, events),
      events: events.map((e) => ({
        ...e.event,
        seq: e.seq,
        recordedAt: e.recordedAt,
        hash: e.hash,
        proof: { inclusion: `${ledger}/v1/proofs/inclusion?seq=${e.seq}` },
      })),
    });
  }
}
