-- The W3C trace context of the commit that produced each record, so its announcement on
-- audit.committed.v1 continues the same trace (HTTP request → Kafka → ledger commit → projection).
ALTER TABLE ledger.outbox ADD COLUMN IF NOT EXISTS traceparent text;
