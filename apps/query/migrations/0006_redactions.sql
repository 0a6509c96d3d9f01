-- Read models follow the ledger's retention: a record whose payload the ledger redacted keeps its row in
-- change_events (seq, change, type, times, hash: what the ledger row keeps) with the event gone and the
-- time of the redaction set. Rows derived from the payload (plans, approvals, runs) are deleted.
ALTER TABLE query.change_events ALTER COLUMN event DROP NOT NULL;
ALTER TABLE query.change_events ADD COLUMN redacted_at timestamptz;
ALTER TABLE query.change_events ADD CONSTRAINT change_events_redaction_consistent CHECK ((event IS NULL) = (redacted_at IS NOT NULL));
