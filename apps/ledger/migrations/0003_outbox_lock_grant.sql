-- The outbox relay claims rows with SELECT … FOR UPDATE SKIP LOCKED, which needs UPDATE privilege on the
-- outbox (a bookkeeping table, not part of the append-only log).
GRANT UPDATE ON ledger.outbox TO audit_ledger_writer;
