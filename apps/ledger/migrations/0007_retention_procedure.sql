-- ledger.apply_retention as first written (0006) kept its candidates in a temporary table, which a
-- SECURITY DEFINER function should not create, and named its result columns like the table columns it
-- reads. This is the version in use: one statement (CTEs) between switching the escape hatch on and off,
-- and result columns that cannot be confused with table columns.
DROP FUNCTION ledger.apply_retention(text, timestamptz, text);

-- The retention procedure. Redacts the tenant's payloads recorded more than their policy's retain_days
-- before p_now, except those under an active legal hold; returns what it did and logs it.
CREATE FUNCTION ledger.apply_retention(p_tenant text, p_now timestamptz, p_run_by text)
RETURNS TABLE (redacted_count integer, held_count integer, first_redacted_seq bigint, last_redacted_seq bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
DECLARE
  v_redacted integer;
  v_held integer;
  v_first bigint;
  v_last bigint;
BEGIN
  -- The escape hatch of ledger.refuse_change(), for this one statement; records_redaction_only still
  -- limits it to redaction.
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

