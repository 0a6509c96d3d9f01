-- Retention without breaking verifiability (DESIGN invariant 6). Expired payloads are redacted: the row
-- keeps seq, event_id, type, change_id, leaf_hash, hash, prev_hash and recorded_at — everything the hash
-- chain and the Merkle tree need — and loses its canonical JSON. Legal holds block it. The ONLY way to
-- redact is ledger.apply_retention(tenant, now), which runs as its owner, switches the append-only
-- triggers' escape hatch on for its own statements only, and logs every run in ledger.retention_runs.

ALTER TABLE ledger.records ALTER COLUMN canonical DROP NOT NULL;
ALTER TABLE ledger.records ADD COLUMN redacted_at timestamptz;
ALTER TABLE ledger.records ADD CONSTRAINT records_redaction_consistent CHECK ((canonical IS NULL) = (redacted_at IS NOT NULL));

-- Per tenant and event type ('*' = every type without its own policy): keep payloads this many days
-- after they were recorded.
CREATE TABLE ledger.retention_policies (
  tenant       text        NOT NULL,
  event_type   text        NOT NULL,
  retain_days  integer     NOT NULL CHECK (retain_days >= 1),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, event_type)
);

-- A hold covers the tenant's records matching every scope given (a hold with no scope covers the whole
-- tenant): a change, an actor, a recording-time range [from_time, to_time). Released holds stay, for the record.
CREATE TABLE ledger.legal_holds (
  id           uuid        PRIMARY KEY,
  tenant       text        NOT NULL,
  change_id    text,
  actor_id     text,
  from_time    timestamptz,
  to_time      timestamptz,
  reason       text        NOT NULL CHECK (length(reason) > 0),
  created_by   text        NOT NULL,
  created_at   timestamptz NOT NULL,
  released_by  text,
  released_at  timestamptz,
  CHECK (from_time IS NULL OR to_time IS NULL OR from_time < to_time),
  CHECK ((released_at IS NULL) = (released_by IS NULL))
);
CREATE INDEX legal_holds_active ON ledger.legal_holds (tenant) WHERE released_at IS NULL;

CREATE TABLE ledger.retention_runs (
  id            bigserial   PRIMARY KEY,
  tenant        text        NOT NULL,
  run_at        timestamptz NOT NULL,
  run_by        text        NOT NULL,
  redacted      integer     NOT NULL,
  held          integer     NOT NULL,
  first_seq     bigint,
  last_seq      bigint
);

-- While retention is on, an UPDATE of a record may only redact it: canonical to NULL, redacted_at set,
-- every other column unchanged. The escape hatch in ledger.refuse_change() cannot be used for anything else.
CREATE FUNCTION ledger.redaction_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.canonical IS NOT NULL OR NEW.redacted_at IS NULL OR OLD.canonical IS NULL
     OR (NEW.tenant, NEW.seq, NEW.event_id, NEW.type, NEW.change_id, NEW.leaf_hash, NEW.hash, NEW.prev_hash, NEW.recorded_at)
        IS DISTINCT FROM (OLD.tenant, OLD.seq, OLD.event_id, OLD.type, OLD.change_id, OLD.leaf_hash, OLD.hash, OLD.prev_hash, OLD.recorded_at) THEN
    RAISE EXCEPTION 'ledger.records: an update may only redact a payload' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER records_redaction_only BEFORE UPDATE ON ledger.records
  FOR EACH ROW EXECUTE FUNCTION ledger.redaction_only();
-- Deleting records is never part of retention (the tree needs every leaf hash).
CREATE FUNCTION ledger.refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger.%: DELETE refused, retention redacts instead', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER records_never_deleted BEFORE DELETE ON ledger.records
  FOR EACH ROW EXECUTE FUNCTION ledger.refuse_delete();

-- The retention procedure. Redacts the tenant's payloads recorded more than their policy's retain_days
-- before p_now, except those under an active legal hold; returns what it did and logs it.
CREATE FUNCTION ledger.apply_retention(p_tenant text, p_now timestamptz, p_run_by text)
RETURNS TABLE (redacted integer, held integer, first_seq bigint, last_seq bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
DECLARE
  v_redacted integer;
  v_held integer;
  v_first bigint;
  v_last bigint;
BEGIN
  CREATE TEMP TABLE IF NOT EXISTS retention_candidates (seq bigint PRIMARY KEY, held boolean NOT NULL) ON COMMIT DROP;
  DELETE FROM retention_candidates;
  INSERT INTO retention_candidates (seq, held)
  SELECT r.seq,
         EXISTS (
           SELECT 1 FROM ledger.legal_holds h
            WHERE h.tenant = r.tenant AND h.released_at IS NULL
              AND (h.change_id IS NULL OR h.change_id = r.change_id)
              AND (h.actor_id IS NULL OR (r.canonical::jsonb -> 'actor' ->> 'id') = h.actor_id)
              AND (h.from_time IS NULL OR r.recorded_at >= h.from_time)
              AND (h.to_time IS NULL OR r.recorded_at < h.to_time))
    FROM ledger.records r
    JOIN LATERAL (
      SELECT p.retain_days FROM ledger.retention_policies p
       WHERE p.tenant = r.tenant AND p.event_type IN (r.type, '*')
       ORDER BY (p.event_type = '*')
       LIMIT 1) pol ON true
   WHERE r.tenant = p_tenant AND r.canonical IS NOT NULL
     AND r.recorded_at < p_now - make_interval(days => pol.retain_days);

  SELECT count(*) FILTER (WHERE c.held) INTO v_held FROM retention_candidates c;
  PERFORM set_config('ledger.retention', 'on', true);
  UPDATE ledger.records r SET canonical = NULL, redacted_at = p_now
    FROM retention_candidates c
   WHERE r.tenant = p_tenant AND r.seq = c.seq AND NOT c.held;
  GET DIAGNOSTICS v_redacted = ROW_COUNT;
  PERFORM set_config('ledger.retention', 'off', true);
  SELECT min(c.seq), max(c.seq) INTO v_first, v_last FROM retention_candidates c WHERE NOT c.held;

  INSERT INTO ledger.retention_runs (tenant, run_at, run_by, redacted, held, first_seq, last_seq)
  VALUES (p_tenant, p_now, p_run_by, v_redacted, v_held, v_first, v_last);
  RETURN QUERY SELECT v_redacted, v_held, v_first, v_last;
END
$$;
REVOKE ALL ON FUNCTION ledger.apply_retention(text, timestamptz, text) FROM PUBLIC;

GRANT SELECT ON ledger.retention_policies, ledger.legal_holds, ledger.retention_runs TO audit_reader;
