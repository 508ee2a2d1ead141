-- The tenants whose rows the context may read in this statement: its own, then the source
-- tenants of its live grants when the transaction asked for shared rows (live_grants' keys;
-- none otherwise). memories__tenant_fence compares tenant_id with it first, as an InitPlan:
-- `tenant_id = ANY (…)` is an index condition and a partition-pruning key, so a query that
-- names another tenant reads none of its rows, and EXPLAIN ANALYZE has nothing to count
-- ("Rows Removed by Filter"); the per-row grant test (grant_covers) only ever sees rows of
-- this list. Every name qualified. A statement of
-- a transaction that did not ask (app.include_shared is not its stamp) gets the context
-- tenant alone without calling live_grants() (a definer, which would return NULL then):
-- every fence that reads this list pays one plpgsql call less per query (revision 0022).
-- Not inlinable, on purpose (its SET clause): a policy calls it as an InitPlan, once per
-- statement, and inlined, its query was planned into every statement under row-level
-- security (the planning of a small tenant's search: 0.41 -> 0.29 ms, with the standard-SQL
-- bodies of the inlined helpers; `python -m bench planning`).
CREATE OR REPLACE FUNCTION cogdb.readable_tenants() RETURNS uuid[]
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN pg_catalog.current_setting('app.include_shared', true)
                     IS DISTINCT FROM cogdb.context_stamp()
                THEN ARRAY[cogdb.current_tenant_id()]
                ELSE pg_catalog.array_prepend(
                         cogdb.current_tenant_id(),
                         ARRAY(SELECT k::uuid
                                 FROM pg_catalog.jsonb_object_keys(cogdb.live_grants()) AS k))
           END
$$;

REVOKE ALL ON FUNCTION cogdb.readable_tenants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.readable_tenants() TO cogdb_app;
COMMENT ON FUNCTION cogdb.readable_tenants() IS
    'The context tenant and, when the transaction asked for shared rows, the sources of its live grants: the tenants memories__tenant_fence lets a statement read.';
