-- The current transaction's stamp (its start time as epoch text). set_context stores it in
-- app.context_xact beside the tenant; the readers below accept a context only when the stamp
-- matches, so a context SET at session level, which outlives its transaction, matches nothing
-- in the next one. Inlinable (LANGUAGE sql, STABLE, no SET clause): the policies depend on it.
-- Its body is standard SQL (RETURN, or BEGIN ATOMIC): parsed once, when it is created, and
-- kept as a tree, so inlining it costs the planner no parse of its text on every statement
-- (docs/conventions.md rule 2).
CREATE OR REPLACE FUNCTION cogdb.context_stamp() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
RETURN (EXTRACT(epoch FROM pg_catalog.transaction_timestamp()))::text;

REVOKE ALL ON FUNCTION cogdb.context_stamp() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.context_stamp() TO cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.context_stamp() IS
    'The current transaction''s stamp (its start time as epoch text).';
