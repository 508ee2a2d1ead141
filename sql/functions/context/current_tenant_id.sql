-- The tenant of the current transaction's context; NULL when there is none, it has ended
-- (''), or it was set in another transaction (stamp mismatch, see context_stamp()).
-- Every tenant policy calls it, so it must stay inlinable: LANGUAGE sql, STABLE, no SET clause.
-- A malformed value raises (invalid uuid) rather than matching anything.
-- Its body is standard SQL (RETURN, or BEGIN ATOMIC): parsed once, when it is created, and
-- kept as a tree, so inlining it costs the planner no parse of its text on every statement
-- (docs/conventions.md rule 2).
CREATE OR REPLACE FUNCTION cogdb.current_tenant_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
RETURN CASE WHEN pg_catalog.current_setting('app.context_xact', true) = cogdb.context_stamp()
                THEN nullif(pg_catalog.current_setting('app.tenant_id', true), '')::uuid
           END;

REVOKE ALL ON FUNCTION cogdb.current_tenant_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.current_tenant_id() TO cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.current_tenant_id() IS
    'The tenant of the current transaction''s context.';
