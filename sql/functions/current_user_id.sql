-- The user of the current transaction's context; NULL when the context names no user.
-- Used by the memory visibility policy, so it stays inlinable like current_tenant_id().
CREATE OR REPLACE FUNCTION cogdb.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$ SELECT nullif(pg_catalog.current_setting('app.user_id', true), '')::uuid $$;

REVOKE ALL ON FUNCTION cogdb.current_user_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.current_user_id() TO cogdb_app, cogdb_admin, cogdb_auditor;
