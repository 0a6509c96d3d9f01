import type { ExportRequest } from '@audit/export-bundle';
import type { Pool } from '@audit/db';
import { withProjectorWriter, withTenantReader } from '../projections/postgres/tenant-reader';
import type { Requester } from './export-created.event';

export type ExportStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface ExportJob {
  tenant: string;
  id: string;
  status: ExportStatus;
  request: ExportRequest;
  requestedBy: Requester;
  phase: string;
  records: number;
  total: number | null;
  error: string | null;
  bytes: number | null;
  manifestSha256: string | null;
  eventId: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

interface Row {
  tenant: string;
  id: string;
  status: ExportStatus;
  request: ExportRequest;
  requested_by: Requester;
  phase: string;
  records: string;
  total: string | null;
  error: string | null;
  bytes: string | null;
  manifest_sha256: string | null;
  event_id: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const COLUMNS = 'tenant, id, status, request, requested_by, phase, records, total, error, bytes, manifest_sha256, event_id, created_at, started_at, finished_at';

function toJob(r: Row): ExportJob {
  return {
    tenant: r.tenant,
    id: r.id,
    status: r.status,
    request: r.request,
    requestedBy: r.requested_by,
    phase: r.phase,
    records: Number(r.records),
    total: r.total === null ? null : Number(r.total),
    error: r.error,
    bytes: r.bytes === null ? null : Number(r.bytes),
    manifestSha256: r.manifest_sha256,
    eventId: r.event_id,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

/**
 * Export jobs in `query.export_jobs`. Reads go through the tenant reader (row-level security: a job of
 * another tenant does not exist for the caller); the API's insert and the runner's updates are writes
 * as `audit_query_projector`.
 */
export class ExportJobRepository {
  constructor(private readonly pool: Pool) {}

  async insert(job: { tenant: string; id: string; request: ExportRequest; requestedBy: Requester; createdAt: Date }): Promise<ExportJob> {
    return withProjectorWriter(this.pool, async (client) => {
      const { rows } = await client.query<Row>(
        `INSERT INTO query.export_jobs (tenant, id, status, request, requested_by, phase, created_at) VALUES ($1, $2, 'queued', $3, $4, 'queued', $5) RETURNING ${COLUMNS}`,
        [job.tenant, job.id, JSON.stringify(job.request), JSON.stringify(job.requestedBy), job.createdAt],
      );
      return toJob(rows[0] as Row);
    });
  }

  async get(tenant: string, id: string): Promise<ExportJob | undefined> {
    return withTenantReader(this.pool, tenant, async (client) => {
      const { rows } = await client.query<Row>(`SELECT ${COLUMNS} FROM query.export_jobs WHERE id = $1`, [id]);
      return rows[0] ? toJob(rows[0]) : undefined;
    });
  }

  async list(tenant: string, limit: number): Promise<ExportJob[]> {
    return withTenantReader(this.pool, tenant, async (client) => {
      const { rows } = await client.query<Row>(`SELECT ${COLUMNS} FROM query.export_jobs ORDER BY created_at DESC, id DESC LIMIT $1`, [limit]);
      return rows.map(toJob);
    });
  }

  /** Takes the oldest queued job (any tenant) for this runner; another instance skips it. */
  async claim(now: Date): Promise<ExportJob | undefined> {
    return withProjectorWriter(this.pool, async (client) => {
      const { rows } = await client.query<Row>(
        `UPDATE query.export_jobs SET status = 'running', phase = 'starting', started_at = $1, heartbeat_at = $1
          WHERE (tenant, id) = (SELECT tenant, id FROM query.export_jobs WHERE status = 'queued' ORDER BY created_at, id FOR UPDATE SKIP LOCKED LIMIT 1)
          RETURNING ${COLUMNS}`,
        [now],
      );
      return rows[0] ? toJob(rows[0]) : undefined;
    });
  }

  async progress(job: ExportJob, progress: { phase: string; records: number; total?: number }, now: Date): Promise<void> {
    await withProjectorWriter(this.pool, (client) =>
      client.query(
        `UPDATE query.export_jobs SET phase = $3, records = $4, total = COALESCE($5, total), heartbeat_at = $6 WHERE tenant = $1 AND id = $2 AND status = 'running'`,
        [job.tenant, job.id, progress.phase, progress.records, progress.total ?? null, now],
      ),
    );
  }

  async heartbeat(jobs: readonly ExportJob[], now: Date): Promise<void> {
    if (jobs.length === 0) return;
    await withProjectorWriter(this.pool, (client) =>
      client.query(`UPDATE query.export_jobs SET heartbeat_at = $2 WHERE id = ANY($1) AND status = 'running'`, [jobs.map((j) => j.id), now]),
    );
  }

  async succeed(job: ExportJob, result: { records: number; bytes: number; manifestSha256: string; eventId: string }, now: Date): Promise<void> {
    await withProjectorWriter(this.pool, (client) =>
      client.query(
        `UPDATE query.export_jobs SET status = 'succeeded', phase = 'done', records = $3, bytes = $4, manifest_sha256 = $5, event_id = $6, finished_at = $7, heartbeat_at = $7
          WHERE tenant = $1 AND id = $2`,
        [job.tenant, job.id, result.records, result.bytes, result.manifestSha256, result.eventId, now],
      ),
    );
  }

  async fail(job: ExportJob, error: string, now: Date): Promise<void> {
    await withProjectorWriter(this.pool, (client) =>
      client.query(`UPDATE query.export_jobs SET status = 'failed', error = $3, finished_at = $4 WHERE tenant = $1 AND id = $2`, [job.tenant, job.id, error.slice(0, 2000), now]),
    );
  }

  /** Fails `running` jobs whose runner stopped writing heartbeats (it died or was restarted); returns them. */
  async failAbandoned(staleBefore: Date, now: Date): Promise<{ tenant: string; id: string }[]> {
    return withProjectorWriter(this.pool, async (client) => {
      const { rows } = await client.query<{ tenant: string; id: string }>(
        `UPDATE query.export_jobs SET status = 'failed', finished_at = $2,
                error = 'the query service stopped while this export was running (no progress since ' || to_char(heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '); request the export again'
          WHERE status = 'running' AND heartbeat_at < $1 RETURNING tenant, id`,
        [staleBefore, now],
      );
      return rows;
    });
  }
}
