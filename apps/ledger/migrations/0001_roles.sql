-- Database roles of the services. The ledger writer gets only INSERT and SELECT on ledger tables (later
-- migrations grant them); nobody but the documented retention procedure may UPDATE or DELETE.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'audit_ledger_writer') THEN
    CREATE ROLE audit_ledger_writer NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'audit_reader') THEN
    CREATE ROLE audit_reader NOLOGIN;
  END IF;
END
$$;
