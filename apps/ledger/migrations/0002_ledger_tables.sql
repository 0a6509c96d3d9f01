-- The ledger: one append-only log per tenant. Records are stored exactly as hashed (RFC 8785 canonical
-- JSON text), with their leaf hash and chain link; heads hold each tenant's position and Merkle frontier.
CREATE SCHEMA IF NOT EXISTS ledger;

CREATE TABLE ledger.records (
  tenant       text        NOT NULL,
  seq          bigint      NOT NULL CHECK (seq >= 1),
  event_id     uuid        NOT NULL,
  type         text        NOT NULL,
  change_id    text,
  canonical    text        NOT NULL,
  leaf_hash    bytea       NOT NULL CHECK (length(leaf_hash) = 32),
  hash         bytea       NOT NULL CHECK (length(hash) = 32),
  prev_hash    bytea       NOT NULL CHECK (length(prev_hash) = 32),
  recorded_at  timestamptz NOT NULL,
  PRIMARY KEY (tenant, seq),
  UNIQUE (tenant, event_id)
);
CREATE INDEX records_change ON ledger.records (tenant, change_id, seq) WHERE change_id IS NOT NULL;

CREATE TABLE ledger.heads (
  tenant      text        PRIMARY KEY,
  seq         bigint      NOT NULL,
  hash        bytea       NOT NULL,
  frontier    jsonb       NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ledger.checkpoints (
  id         bigserial   PRIMARY KEY,
  tenant     text        NOT NULL,
  size       bigint      NOT NULL,
  root_hash  bytea       NOT NULL CHECK (length(root_hash) = 32),
  note       text        NOT NULL,
  note_hash  bytea       NOT NULL CHECK (length(note_hash) = 32),
  key_name   text        NOT NULL,
  signed_at  timestamptz NOT NULL
);
CREATE INDEX checkpoints_tenant_size ON ledger.checkpoints (tenant, size, id);

-- Kafka positions written in the same transaction as the records they produced.
CREATE TABLE ledger.consumer_offsets (
  group_id     text   NOT NULL,
  topic        text   NOT NULL,
  partition    int    NOT NULL,
  next_offset  bigint NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, topic, partition)
);

-- Committed records not yet announced on audit.committed.v1 (transactional outbox).
CREATE TABLE ledger.outbox (
  id      bigserial PRIMARY KEY,
  tenant  text   NOT NULL,
  seq     bigint NOT NULL
);

-- Append-only, enforced by the database itself: no UPDATE, DELETE or TRUNCATE of records or checkpoints,
-- whoever asks, unless the session runs the documented retention procedure (sets ledger.retention = 'on').
CREATE FUNCTION ledger.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'TRUNCATE' AND current_setting('ledger.retention', true) = 'on' THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  RAISE EXCEPTION 'ledger.% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER records_append_only BEFORE UPDATE OR DELETE ON ledger.records
  FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER records_no_truncate BEFORE TRUNCATE ON ledger.records
  FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON ledger.checkpoints
  FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON ledger.checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();

-- The writer's role: INSERT and SELECT on the log, nothing more; it owns its bookkeeping tables' rows.
GRANT USAGE ON SCHEMA ledger TO audit_ledger_writer, audit_reader;
GRANT SELECT, INSERT ON ledger.records, ledger.checkpoints TO audit_ledger_writer;
GRANT SELECT, INSERT, UPDATE ON ledger.heads, ledger.consumer_offsets TO audit_ledger_writer;
GRANT SELECT, INSERT, DELETE ON ledger.outbox TO audit_ledger_writer;
GRANT USAGE ON SEQUENCE ledger.checkpoints_id_seq, ledger.outbox_id_seq TO audit_ledger_writer;
GRANT SELECT ON ledger.records, ledger.checkpoints, ledger.heads TO audit_reader;
