-- Lifecycle read models of the query service, projected from audit.committed.v1.
-- Every table is tenant-scoped and under row-level security (FORCE, so not even the owner is exempt):
--   audit_query_reader    the role the API reads as (SET LOCAL ROLE + SET LOCAL app.tenant): own tenant only
--   audit_query_projector the role the projector and rebuild write as: all tenants
-- A login role that runs the service needs membership in both (granted to the migrating role below).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'audit_query_reader') THEN
    CREATE ROLE audit_query_reader NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'audit_query_projector') THEN
    CREATE ROLE audit_query_projector NOLOGIN;
  END IF;
  IF NOT pg_has_role(current_user, 'audit_query_reader', 'MEMBER') THEN
    GRANT audit_query_reader TO CURRENT_USER;
  END IF;
  IF NOT pg_has_role(current_user, 'audit_query_projector', 'MEMBER') THEN
    GRANT audit_query_projector TO CURRENT_USER;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  -- Another database of the same cluster migrated at the same moment: the roles exist now.
  NULL;
END
$$;

-- Highest seq applied per projection and tenant: a redelivered or replayed record at or below it is skipped.
CREATE TABLE query.projection_positions (
  projection text NOT NULL,
  tenant text NOT NULL,
  last_seq bigint NOT NULL,
  PRIMARY KEY (projection, tenant)
);

-- Every event that belongs to a change, as committed (the change story reads these in seq order).
CREATE TABLE query.change_events (
  tenant text NOT NULL,
  seq bigint NOT NULL,
  change_id text NOT NULL,
  type text NOT NULL,
  occurred_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL,
  hash text NOT NULL,
  event jsonb NOT NULL,
  PRIMARY KEY (tenant, seq)
);
CREATE INDEX change_events_by_change ON query.change_events (tenant, change_id, seq);

-- One row per change: lifecycle status and the verdicts, recomputed from change_events on every new event.
CREATE TABLE query.changes (
  tenant text NOT NULL,
  change_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('requested', 'planned', 'approved', 'rejected', 'started', 'succeeded', 'failed', 'partially_failed', 'cancelled')),
  environment text,
  resource_kind text,
  resource_id text,
  requester text,
  requested_at timestamptz,
  updated_at timestamptz NOT NULL,
  first_seq bigint NOT NULL,
  last_seq bigint NOT NULL,
  event_count integer NOT NULL,
  ran_plan_digest text,
  approved_for_plan text NOT NULL,
  artifact_match text NOT NULL,
  separation_of_duties text NOT NULL,
  policy_version text,
  outcome text NOT NULL,
  verdicts jsonb NOT NULL,
  PRIMARY KEY (tenant, change_id)
);
CREATE INDEX changes_by_env_status ON query.changes (tenant, environment, status, updated_at DESC);
CREATE INDEX changes_by_update ON query.changes (tenant, updated_at DESC, change_id);

CREATE TABLE query.plans (
  tenant text NOT NULL,
  seq bigint NOT NULL,
  change_id text NOT NULL,
  digest text NOT NULL,
  summary jsonb,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, seq)
);
CREATE INDEX plans_by_change ON query.plans (tenant, change_id, seq);

-- Approval decisions with the approver's roles and teams as the event recorded them (at that time).
CREATE TABLE query.approvals (
  tenant text NOT NULL,
  seq bigint NOT NULL,
  change_id text NOT NULL,
  decision text NOT NULL CHECK (decision IN ('granted', 'rejected', 'revoked')),
  approver text NOT NULL,
  approver_roles text[] NOT NULL,
  approver_teams text[] NOT NULL,
  plan_digest text,
  reason text,
  decided_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, seq)
);
CREATE INDEX approvals_by_change ON query.approvals (tenant, change_id, seq);

-- Deployment events with the artifact digest each one names.
CREATE TABLE query.runs (
  tenant text NOT NULL,
  seq bigint NOT NULL,
  change_id text NOT NULL,
  type text NOT NULL,
  artifact_digest text,
  outcome text,
  run_id text,
  occurred_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, seq)
);
CREATE INDEX runs_by_change ON query.runs (tenant, change_id, seq);

GRANT USAGE ON SCHEMA query TO audit_query_reader, audit_query_projector;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['projection_positions', 'change_events', 'changes', 'plans', 'approvals', 'runs'] LOOP
    EXECUTE format('ALTER TABLE query.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE query.%I FORCE ROW LEVEL SECURITY', t);
    -- current_setting(…, true) is NULL when unset, and NULL matches nothing: no tenant, no rows.
    EXECUTE format($p$CREATE POLICY tenant_isolation ON query.%I FOR SELECT TO audit_query_reader USING (tenant = current_setting('app.tenant', true))$p$, t);
    EXECUTE format('CREATE POLICY projector_writes ON query.%I FOR ALL TO audit_query_projector USING (true) WITH CHECK (true)', t);
    EXECUTE format('GRANT SELECT ON query.%I TO audit_query_reader', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON query.%I TO audit_query_projector', t);
  END LOOP;
END
$$;
