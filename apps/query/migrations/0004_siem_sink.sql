-- SIEM sinks (issue 9): the delivered position of each sink, per tenant. A row moves forward only after
-- the receiver acknowledged (2xx) every record up to `last_seq`; on restart a sink skips what is at or
-- below it. Written idempotently so the file can be renumbered without failing where it already ran.
CREATE TABLE IF NOT EXISTS query.siem_positions (
  sink text NOT NULL,
  topic text NOT NULL,
  tenant text NOT NULL,
  last_seq bigint NOT NULL CHECK (last_seq > 0),
  delivered_at timestamptz NOT NULL,
  PRIMARY KEY (sink, topic, tenant)
);

-- Same security model as the other query tables: RLS forced, only audit_query_projector writes, a tenant's
-- reader sees its own rows.
ALTER TABLE query.siem_positions ENABLE ROW LEVEL SECURITY;
ALTER TABLE query.siem_positions FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON query.siem_positions;
CREATE POLICY tenant_isolation ON query.siem_positions FOR SELECT TO audit_query_reader USING (tenant = current_setting('app.tenant', true));
DROP POLICY IF EXISTS projector_writes ON query.siem_positions;
CREATE POLICY projector_writes ON query.siem_positions FOR ALL TO audit_query_projector USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON query.siem_positions TO audit_query_projector;
GRANT SELECT ON query.siem_positions TO audit_query_reader;
