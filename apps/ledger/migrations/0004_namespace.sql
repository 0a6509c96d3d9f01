-- A ledger deployment announces and checkpoints only what it wrote: deployments (or test runs) that share
-- one database under different Kafka topic namespaces must not publish or sign each other's records.
ALTER TABLE ledger.outbox ADD COLUMN namespace text NOT NULL DEFAULT '';
ALTER TABLE ledger.heads ADD COLUMN namespace text NOT NULL DEFAULT '';
CREATE INDEX outbox_namespace ON ledger.outbox (namespace, id);
