-- The youngest age cutoff of the context tenant's policies: now() minus the shortest max_age;
-- a memory created after it is kept by every policy, so memories__retained looks no further
-- for it. '-infinity' when no policy of the tenant has a max_age (or there is no context):
-- every memory passes with one comparison. Read once per query (an InitPlan in the policy).
-- Not inlinable, on purpose (its SET clause): a policy calls it as an InitPlan, once per
-- statement, and inlined, its query was planned into every statement under row-level
-- security (the planning of a small tenant's search: 0.41 -> 0.29 ms, with the standard-SQL
-- bodies of the inlined helpers; `python -m bench planning`).
CREATE OR REPLACE FUNCTION cogdb.retention_horizon() RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(pg_catalog.now() - min(p.max_age), '-infinity'::timestamptz)
      FROM cogdb.retention_policies p
     WHERE p.tenant_id = cogdb.current_tenant_id()
$$;

REVOKE ALL ON FUNCTION cogdb.retention_horizon() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.retention_horizon() TO cogdb_app;
COMMENT ON FUNCTION cogdb.retention_horizon() IS
    'The youngest retention age cutoff of the context tenant (now() minus the shortest max_age), -infinity without an age limit; read once per query by memories__retained.';
