-- Emitter credentials and idempotency records of the ingest service live in their own schema.
CREATE SCHEMA IF NOT EXISTS ingest;
