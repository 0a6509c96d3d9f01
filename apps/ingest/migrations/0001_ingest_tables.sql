-- Emitter API keys. Only the SHA-256 of the secret is stored: a database dump cannot be replayed as a key.
-- Empty allowed_* arrays mean "any"; revoked keys stay for the audit trail.
CREATE TABLE ingest_api_keys (
  key_id          text PRIMARY KEY,
  tenant          text NOT NULL,
  secret_sha256   bytea NOT NULL CHECK (octet_length(secret_sha256) = 32),
  allowed_sources text[] NOT NULL DEFAULT '{}',
  allowed_types   text[] NOT NULL DEFAULT '{}',
  description     text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  revoked_at      timestamptz
);
CREATE INDEX ingest_api_keys_tenant ON ingest_api_keys (tenant);

-- Idempotency: written BEFORE publishing, so a retry after a crash between the Kafka ack and the
-- 'published' mark re-publishes the SAME event ids (the ledger de-duplicates by id).
CREATE TABLE ingest_idempotency (
  tenant         text NOT NULL,
  key            text NOT NULL,
  request_sha256 bytea NOT NULL,
  event_ids      uuid[] NOT NULL,
  received_at    timestamptz NOT NULL,
  status         text NOT NULL CHECK (status IN ('pending', 'published')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  published_at   timestamptz,
  PRIMARY KEY (tenant, key)
);
CREATE INDEX ingest_idempotency_created_at ON ingest_idempotency (created_at);

-- Webhook secrets per tenant and provider. Stored in clear on purpose: verifying an HMAC needs the secret
-- itself, not a hash of it (envelope encryption with a KMS key is the follow-up).
CREATE TABLE ingest_webhook_secrets (
  tenant     text NOT NULL,
  provider   text NOT NULL CHECK (provider IN ('github')),
  secret     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, provider)
);
