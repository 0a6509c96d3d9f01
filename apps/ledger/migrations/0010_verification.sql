-- Continuous verification (apps/ledger/src/verification). The verifier resumes each tenant from the last
-- size it verified, so it keeps the verifier's state there: the chain hash and Merkle frontier at that
-- size and the last checkpoint checked. It also keeps the last outcome (served by GET /v1/verification)
-- and what it last recorded in the ledger, so a restart neither repeats a failure event nor floods the
-- log with successes.
CREATE TABLE ledger.verification_state (
  tenant                  text        PRIMARY KEY,
  namespace               text        NOT NULL,
  verified_size           bigint      NOT NULL DEFAULT 0,
  last_hash               bytea       NOT NULL CHECK (length(last_hash) = 32),
  frontier                jsonb       NOT NULL,
  last_checkpoint_id      bigint      NOT NULL DEFAULT 0,
  last_checkpoint_note    text,
  checkpointed_size       bigint      NOT NULL DEFAULT 0,
  root_hash               bytea       NOT NULL CHECK (length(root_hash) = 32),
  status                  text        NOT NULL CHECK (status IN ('ok', 'failed')),
  mode                    text        NOT NULL CHECK (mode IN ('incremental', 'full')),
  failure                 jsonb,
  checked_at              timestamptz NOT NULL,
  last_full_at            timestamptz,
  success_recorded_at     timestamptz,
  success_recorded_size   bigint,
  failure_recorded_key    text,
  -- Redacted rows at the last redaction audit, and how many of them still waited for their run's event:
  -- an incremental pass audits redactions again only when either says something may have changed.
  redacted_count          bigint      NOT NULL DEFAULT 0,
  redactions_pending      bigint      NOT NULL DEFAULT 0,
  CHECK ((status = 'failed') = (failure IS NOT NULL))
);

-- What the verifier reads on every tick: the redacted rows and the retention runs' events.
CREATE INDEX records_redacted ON ledger.records (tenant, seq) WHERE canonical IS NULL;
CREATE INDEX records_retention_runs ON ledger.records (tenant, seq) WHERE type = 'retention.applied';

GRANT SELECT, INSERT, UPDATE ON ledger.verification_state TO audit_ledger_writer;
GRANT SELECT ON ledger.verification_state TO audit_reader;
-- Redactions are checked against the legal holds of their moment, and a run whose ledger event is still
-- on its way (a run's --now may be any time) is recognised by when the procedure logged it.
GRANT SELECT ON ledger.legal_holds, ledger.retention_runs TO audit_ledger_writer;
ALTER TABLE ledger.retention_runs ADD COLUMN logged_at timestamptz NOT NULL DEFAULT now();

-- The record of a retention run must outlive what it redacted (the verifier checks every redaction
-- against it), so retention never redacts the runs' and holds' own events. Otherwise as in 0007.
DROP FUNCTION ledger.apply_retention(text, timestamptz, text);
CREATE FUNCTION ledger.apply_retention(p_tenant text, p_now timestamptz, p_run_by text)
RETURNS TABLE (redacted_count integer, held_count integer, first_redacted_seq bigint, last_redacted_seq bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
DECLARE
  v_redacted integer;
  v_held integer;
  v_first bigint;
  v_last bigint;
BEGIN
  PERFORM set_config('ledger.retention', 'on', true);
  WITH candidates AS (
    SELECT r.seq,
           EXISTS (
             SELECT 1 FROM ledger.legal_holds h
              WHERE h.tenant = r.tenant AND h.released_at IS NULL
                AND (h.change_id IS NULL OR h.change_id = r.change_id)
                AND (h.actor_id IS NULL OR (r.canonical::jsonb -> 'actor' ->> 'id') = h.actor_id)
                AND (h.from_time IS NULL OR r.recorded_at >= h.from_time)
                AND (h.to_time IS NULL OR r.recorded_at < h.to_time)) AS held
      FROM ledger.records r
      JOIN LATERAL (
        SELECT p.retain_days FROM ledger.retention_policies p
         WHERE p.tenant = r.tenant AND p.event_type IN (r.type, '*')
         ORDER BY (p.event_type = '*')
         LIMIT 1) pol ON true
     WHERE r.tenant = p_tenant AND r.canonical IS NOT NULL
       AND r.type NOT IN ('retention.applied', 'legal_hold.changed')
       AND r.recorded_at < p_now - make_interval(days => pol.retain_days)
  ), redacted_rows AS (
    UPDATE ledger.records r SET canonical = NULL, redacted_at = p_now
      FROM candidates c
     WHERE r.tenant = p_tenant AND r.seq = c.seq AND NOT c.held
    RETURNING r.seq
  )
  SELECT (SELECT count(*) FROM redacted_rows), (SELECT count(*) FROM candidates WHERE held),
         (SELECT min(seq) FROM redacted_rows), (SELECT max(seq) FROM redacted_rows)
    INTO v_redacted, v_held, v_first, v_last;
  PERFORM set_config('ledger.retention', 'off', true);

  INSERT INTO ledger.retention_runs (tenant, run_at, run_by, redacted, held, first_seq, last_seq)
  VALUES (p_tenant, p_now, p_run_by, v_redacted, v_held, v_first, v_last);
  RETURN QUERY SELECT v_redacted, v_held, v_first, v_last;
END
$$;
REVOKE ALL ON FUNCTION ledger.apply_retention(text, timestamptz, text) FROM PUBLIC;
