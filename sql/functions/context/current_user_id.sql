-- The user of the current transaction's context; NULL when the context names no user or was
-- set in another transaction. Used by the memory visibility policy: stays inlinable.
-- Its body is standard SQL (RETURN, or BEGIN ATOMIC): parsed once, when it is created, and
-- kept as a tree, so inlining it costs the planner no parse of its text on every statement
-- (docs/conventions.md rule 2).
CREATE OR REPLACE FUNCTION cogdb.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
RETURN CASE WHEN pg_catalog.current_setting('app.context_xact', true) = cogdb.context_stamp()
                THEN nullif(pg_catalog.current_setting('app.user_id', true), '')::uuid
           END;

REVOKE ALL ON FUNCTION cogdb.current_user_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.current_user_id() TO cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.current_user_id() IS
    'The user of the current transaction''s context.';
