-- The context tenant's age cutoffs, for memories__retained: {context_type: {source: cutoff}}
-- with '*' for any, cutoff = now() - max_age ('-infinity' for a policy without max_age,
-- which keeps its memories against a wider policy); NULL when no policy of the tenant has a
-- max_age (or there is no context). Read once per query (an InitPlan in the policy), and
-- only when a memory is older than retention_horizon(); as the caller: the app may read its
-- own tenant's policies. Names the tenant (docs/conventions.md rule 3).
-- Not inlinable, on purpose (its SET clause): a policy calls it as an InitPlan, once per
-- statement, and inlined, its query was planned into every statement under row-level
-- security (the planning of a small tenant's search: 0.41 -> 0.29 ms, with the standard-SQL
-- bodies of the inlined helpers; `python -m bench planning`).
CREATE OR REPLACE FUNCTION cogdb.retention_cutoffs() RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_object_agg(g.context_type, g.cutoffs)
      FROM (SELECT p.context_type, bool_or(p.max_age IS NOT NULL) AS limited,
                   jsonb_object_agg(p.source, coalesce(pg_catalog.now() - p.max_age,
                                                       '-infinity'::timestamptz)) AS cutoffs
              FROM cogdb.retention_policies p
             WHERE p.tenant_id = cogdb.current_tenant_id()
             GROUP BY p.context_type) g
    HAVING bool_or(g.limited)
$$;

REVOKE ALL ON FUNCTION cogdb.retention_cutoffs() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.retention_cutoffs() TO cogdb_app;
COMMENT ON FUNCTION cogdb.retention_cutoffs() IS
    'The context tenant''s retention age cutoffs as {context_type: {source: timestamptz}}, NULL without an age limit; read once per query by memories__retained.';
