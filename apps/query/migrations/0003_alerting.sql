-- Alerting (issue 8): rules (every version kept), channels, streaming state, alerts and the delivery outbox.
-- Same security model as the lifecycle tables: RLS forced; audit_query_reader reads its own tenant,
-- audit_query_projector (the alerting consumer, scheduler, worker and the API's writes) writes.

-- Every version of every rule; the current one is the highest version. Built-ins are version 0 in code
-- until a tenant writes its own version of them.
CREATE TABLE query.alert_rules (
  tenant text NOT NULL,
  rule_id text NOT NULL,
  version integer NOT NULL CHECK (version > 0),
  rule_type text NOT NULL,
  definition jsonb NOT NULL,
  enabled boolean NOT NULL,
  change text NOT NULL CHECK (change IN ('created', 'updated', 'disabled', 'enabled')),
  changed_by text NOT NULL,
  changed_at timestamptz NOT NULL,
  change_event_id text NOT NULL,
  PRIMARY KEY (tenant, rule_id, version)
);

-- Webhook targets; the secret signs deliveries and is never returned by the API nor put in events.
CREATE TABLE query.alert_channels (
  tenant text NOT NULL,
  name text NOT NULL,
  url text NOT NULL,
  format text NOT NULL CHECK (format IN ('json', 'slack')),
  secret text NOT NULL,
  changed_by text NOT NULL,
  changed_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, name)
);

-- Highest committed seq the streaming evaluation applied, per tenant (written with the state it produced).
CREATE TABLE query.alert_positions (
  tenant text PRIMARY KEY,
  last_seq bigint NOT NULL
);

-- Window state of streaming rules per (rule, key): frequency hits, last sight of a term, pending sequences.
CREATE TABLE query.alert_rule_state (
  tenant text NOT NULL,
  rule_id text NOT NULL,
  key text NOT NULL,
  state jsonb NOT NULL,
  due_at timestamptz,
  PRIMARY KEY (tenant, rule_id, key)
);
CREATE INDEX alert_rule_state_due ON query.alert_rule_state (due_at) WHERE due_at IS NOT NULL;

-- Events of changes as the alerting consumer saw them (its own copy: the lifecycle projector runs in
-- another consumer group and may be behind), for the built-ins that judge a whole change.
CREATE TABLE query.alert_change_events (
  tenant text NOT NULL,
  seq bigint NOT NULL,
  change_id text NOT NULL,
  recorded_at timestamptz NOT NULL,
  hash text NOT NULL,
  event jsonb NOT NULL,
  PRIMARY KEY (tenant, seq)
);
CREATE INDEX alert_change_events_by_change ON query.alert_change_events (tenant, change_id, seq);

-- Signed ledger checkpoints seen on audit.checkpoints.v1 (flatline rules with source: checkpoints).
CREATE TABLE query.alert_checkpoints (
  tenant text NOT NULL,
  size bigint NOT NULL,
  signed_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, size)
);
CREATE INDEX alert_checkpoints_by_time ON query.alert_checkpoints (tenant, signed_at);

CREATE TABLE query.alerts (
  id text PRIMARY KEY,
  tenant text NOT NULL,
  rule_id text NOT NULL,
  rule_version integer NOT NULL,
  group_key text NOT NULL,
  severity text NOT NULL,
  title text NOT NULL,
  summary text NOT NULL,
  state text NOT NULL CHECK (state IN ('firing', 'acknowledged', 'resolved')),
  first_fired_at timestamptz NOT NULL,
  last_fired_at timestamptz NOT NULL,
  last_notified_at timestamptz NOT NULL,
  fire_count integer NOT NULL,
  matched_seqs bigint[] NOT NULL,
  change_ids text[] NOT NULL,
  acknowledged_at timestamptz,
  acknowledged_by text,
  resolved_at timestamptz,
  resolved_by text
);
-- Dedupe: at most one open alert per rule and group key.
CREATE UNIQUE INDEX alerts_open_per_group ON query.alerts (tenant, rule_id, group_key) WHERE state <> 'resolved';
CREATE INDEX alerts_by_tenant ON query.alerts (tenant, last_fired_at DESC);

-- Outbox of everything an alert sends: its message on audit.alerts.v1, its alert.fired ledger event,
-- and one webhook delivery per channel. A worker claims due rows (lease), sends, and marks them; a
-- webhook that failed its last attempt stays as a 'dead' row (the dead letter) with the last error.
CREATE TABLE query.alert_outbox (
  id bigserial PRIMARY KEY,
  tenant text NOT NULL,
  alert_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('alert-message', 'ledger-event', 'webhook')),
  channel text,
  payload jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  last_error text,
  created_at timestamptz NOT NULL,
  done_at timestamptz
);
CREATE INDEX alert_outbox_due ON query.alert_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX alert_outbox_by_alert ON query.alert_outbox (alert_id);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['alert_rules', 'alert_channels', 'alert_positions', 'alert_rule_state', 'alert_change_events', 'alert_checkpoints', 'alerts', 'alert_outbox'] LOOP
    EXECUTE format('ALTER TABLE query.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE query.%I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON query.%I FOR SELECT TO audit_query_reader USING (tenant = current_setting('app.tenant', true))$p$, t);
    EXECUTE format('CREATE POLICY projector_writes ON query.%I FOR ALL TO audit_query_projector USING (true) WITH CHECK (true)', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON query.%I TO audit_query_projector', t);
  END LOOP;
END
$$;
GRANT SELECT ON query.alert_rules, query.alerts, query.alert_outbox TO audit_query_reader;
GRANT SELECT (tenant, name, url, format, changed_by, changed_at) ON query.alert_channels TO audit_query_reader;
GRANT USAGE ON SEQUENCE query.alert_outbox_id_seq TO audit_query_projector;
