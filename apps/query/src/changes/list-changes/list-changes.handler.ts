import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import type { Principal } from '@audit/auth';
import type { Pool } from '@audit/db';
import { InjectPool } from '@audit/service-shell';
import { ok, type Result } from '../../http/problem';
import { withTenantReader } from '../../projections/postgres/tenant-reader';
import { AuditReadRecorder } from '../../reads/audit-read.recorder';

export const ListChangesParams = z.strictObject({
  env: z.string().max(64).optional(),
  status: z.enum(['requested', 'planned', 'approved', 'rejected', 'started', 'succeeded', 'failed', 'partially_failed', 'cancelled']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type ListChangesParams = z.output<typeof ListChangesParams>;

/** A row of `query.changes` as read back, validated. */
const ChangeRow = z.object({
  change_id: z.string(),
  status: z.string(),
  environment: z.string().nullable(),
  resource_kind: z.string().nullable(),
  resource_id: z.string().nullable(),
  requester: z.string().nullable(),
  requested_at: z.date().nullable(),
  updated_at: z.date(),
  first_seq: z.coerce.number(),
  last_seq: z.coerce.number(),
  event_count: z.number(),
  ran_plan_digest: z.string().nullable(),
  approved_for_plan: z.string(),
  artifact_match: z.string(),
  separation_of_duties: z.string(),
  policy_version: z.string().nullable(),
  outcome: z.string(),
});

/** `GET /v1/changes?env=&status=&limit=`: newest first, from the lifecycle view, under RLS. */
@Injectable()
export class ListChangesHandler {
  constructor(
    @InjectPool() private readonly pool: Pool,
    private readonly reads: AuditReadRecorder,
  ) {}

  async execute(principal: Principal, params: ListChangesParams): Promise<Result<{ changes: unknown[] }>> {
    const rows = await withTenantReader(this.pool, principal.tenant, async (client) =>
      (
        await client.query(
          `SELECT * FROM query.changes
            WHERE ($1::text IS NULL OR environment = $1) AND ($2::text IS NULL OR status = $2)
            ORDER BY updated_at DESC, change_id LIMIT $3`,
          [params.env ?? null, params.status ?? null, params.limit],
        )
      ).rows,
    );
    const changes = rows.map((row) => {
      const r = ChangeRow.parse(row);
      return {
        changeId: r.change_id,
        status: r.status,
        environment: r.environment,
        resource: { kind: r.resource_kind, id: r.resource_id },
        requester: r.requester,
        requestedAt: r.requested_at?.toISOString() ?? null,
        updatedAt: r.updated_at.toISOString(),
        firstSeq: r.first_seq,
        lastSeq: r.last_seq,
        eventCount: r.event_count,
        verdicts: {
          approvedForPlanThatRan: r.approved_for_plan,
          ranPlanDigest: r.ran_plan_digest,
          artifactMatch: r.artifact_match,
          separationOfDuties: r.separation_of_duties,
          policyVersion: r.policy_version,
          outcome: r.outcome,
        },
      };
    });
    const recorded = await this.reads.record({ principal, endpoint: '/v1/changes', query: { env: params.env, status: params.status, limit: params.limit }, resultCount: changes.length });
    if (!recorded.ok) return recorded;
    return ok({ changes });
  }
}
