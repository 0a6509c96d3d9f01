-- Policies and decisions of the approval-policy service live in their own schema (later migrations).
CREATE SCHEMA IF NOT EXISTS approval;
