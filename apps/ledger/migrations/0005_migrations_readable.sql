-- Services check at start-up and in their smoke test that their migrations ran, as their own role.
GRANT SELECT ON schema_migrations TO audit_ledger_writer, audit_reader;
