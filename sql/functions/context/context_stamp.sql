-- The current transaction's stamp (its start time as epoch text). set_context stores it in
-- app.context_xact beside the tenant; the readers below accept a context only when the stamp
-- matches, so a context SET at session level, which outlives its transaction, matches nothing
-- in the next one. Inlinable (LANGUAGE sql, STABLE, no SET clause): the policies depend on it.
CREATE OR REPLACE FUNCTION cogdb.context_stamp() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$ SELECT (EXTRACT(epoch FROM pg_catalog.transaction_timestamp()))::text $$;

REVOKE ALL ON FUNCTION cogdb.context_stamp() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.context_stamp() TO cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.context_stamp() IS
    'The current transaction''s stamp (its start time as epoch text).';
