-- Compliance export jobs (issue 9): POST /v1/exports queues one, a background runner in the query service
-- writes the bundle to EXPORT_DIR and records an export.created event. Same security model as the other
-- query tables: RLS forced; audit_query_reader reads its own tenant, audit_query_projector writes.
CREATE TABLE query.export_jobs (
  tenant text NOT NULL,
  id text NOT NULL,
  status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  -- What was asked (from, to, query, change, format) and by whom ({id, roles, name}).
  request jsonb NOT NULL,
  requested_by jsonb NOT NULL,
  phase text NOT NULL DEFAULT 'queued',
  records bigint NOT NULL DEFAULT 0,
  total bigint,
  error text,
  bytes bigint,
  manifest_sha256 text,
  -- The export.created event that records this export in the ledger.
  event_id text,
  created_at timestamptz NOT NULL,
  started_at timestamptz,
  -- Refreshed while a runner works on the job; a running job whose heartbeat stopped is failed.
  heartbeat_at timestamptz,
  finished_at timestamptz,
  PRIMARY KEY (tenant, id)
);
CREATE UNIQUE INDEX export_jobs_id ON query.export_jobs (id);
CREATE INDEX export_jobs_by_tenant ON query.export_jobs (tenant, created_at DESC);
CREATE INDEX export_jobs_queued ON query.export_jobs (created_at) WHERE status IN ('queued', 'running');

ALTER TABLE query.export_jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE query.export_jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON query.export_jobs FOR SELECT TO audit_query_reader USING (tenant = current_setting('app.tenant', true));
CREATE POLICY projector_writes ON query.export_jobs FOR ALL TO audit_query_projector USING (true) WITH CHECK (true);
GRANT SELECT ON query.export_jobs TO audit_query_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON query.export_jobs TO audit_query_projector;
