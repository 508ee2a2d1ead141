-- The memories with these ids in these tenants that the caller's context sees (the memories'
-- policies apply: invoker), for hybrid_search(include_shared => true), whose candidates come
-- from the own tenant and the sources of its grants. A function of its own, not inlined (SET
-- clause), so that hybrid_search's statement for one tenant, which reads its tenant's
-- partition alone (pruned when it starts), does not also set up this scan of every partition
-- (a tenant array prunes none) where it never runs: 0.85 ms of 1.1 at 81 partitions
-- (bench/RESULTS.md, Knowledge). By id under the fence, each partition through its primary
-- key; the tenants as a filter no index takes (IS TRUE), as hybrid_search explains.
CREATE OR REPLACE FUNCTION cogdb.memories_among_tenants(ids text[], tenants uuid[])
    RETURNS SETOF cogdb.memories
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT m.* FROM cogdb.memories m
     WHERE m.id = ANY (ids) AND (m.tenant_id = ANY (tenants)) IS TRUE
$$;

REVOKE ALL ON FUNCTION cogdb.memories_among_tenants(text[], uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.memories_among_tenants(text[], uuid[]) TO cogdb_app;
COMMENT ON FUNCTION cogdb.memories_among_tenants(text[], uuid[]) IS
    'The memories of these ids in these tenants the caller sees (hybrid_search with shared rows).';
