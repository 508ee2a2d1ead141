-- The lowest tenant id a lookup of another tenant's shared rows may read: NULL unless the
-- transaction asked for shared rows (app.include_shared is its stamp, the flag
-- readable_tenants() reads), then the nil uuid, at or below every tenant id.
-- relationships__tenant_fence's sharing branch compares `m.tenant_id >=
-- cogdb.shared_tenant_floor()` in its lookup of memories (revision 0038). Partition pruning
-- evaluates that comparison when the statement starts, and a comparison with NULL matches
-- no partition: a statement that did not ask sets up no scan of memories for a lookup it can
-- never run (that lookup names the row's tenant, which cannot prune before the statement
-- runs; at 1M memories its set-up over 81 partitions was ~2 ms of every statement on
-- relationships). When the transaction asked, the comparison holds for every row. Either
-- way it only narrows the branch it is in, never widens it.
-- Standard-SQL body: names and operators bound when it is created; inlined into the policy.
CREATE OR REPLACE FUNCTION cogdb.shared_tenant_floor() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
RETURN CASE WHEN pg_catalog.current_setting('app.include_shared', true) = cogdb.context_stamp()
                THEN '00000000-0000-0000-0000-000000000000'::uuid
           END;

REVOKE ALL ON FUNCTION cogdb.shared_tenant_floor() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.shared_tenant_floor() TO cogdb_app;
COMMENT ON FUNCTION cogdb.shared_tenant_floor() IS
    'NULL unless the transaction asked for shared rows, then the nil uuid: the floor relationships__tenant_fence''s shared lookup compares tenant ids with, so a statement that did not ask prunes that lookup''s partitions when it starts.';
