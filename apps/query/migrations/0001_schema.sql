-- Read models of the query service live in their own schema; the projections fill it (later migrations).
CREATE SCHEMA IF NOT EXISTS query;
