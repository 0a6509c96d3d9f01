-- Extra powers a key may be given explicitly (today: `approvals`, for an approval system's key). They are
-- stamped into each event's provenance, so what a key could assert is part of the hashed record.
ALTER TABLE ingest_api_keys ADD COLUMN scopes text[] NOT NULL DEFAULT '{}';
