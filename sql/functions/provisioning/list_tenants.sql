-- Every tenant with its stored and effective settings and its memories per model (from the
-- counters cogdb maintain reads: no scan of memories), oldest first. Cross-tenant, so a
-- definer over the owner-only registry policies; for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.list_tenants()
    RETURNS TABLE (id uuid, name text, external_id text, mode text, isolation_level text,
                   default_model text, settings jsonb, effective_settings jsonb,
                   created_at timestamptz, memories jsonb)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT t.id, t.name, t.external_id, t.mode, t.isolation_level, t.default_model, t.settings,
           cogdb.effective_settings(t.mode, t.settings), t.created_at,
           coalesce((SELECT jsonb_object_agg(c.model, c.n ORDER BY c.model)
                       FROM (SELECT mc.model, sum(mc.delta) AS n FROM cogdb.memory_counts mc
                              WHERE mc.tenant_id = t.id GROUP BY mc.model) c
                      WHERE c.n <> 0), '{}')
      FROM cogdb.tenants t
     ORDER BY t.created_at, t.id
$$;

REVOKE ALL ON FUNCTION cogdb.list_tenants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_tenants() TO cogdb_admin;
COMMENT ON FUNCTION cogdb.list_tenants() IS
    'Every tenant with its stored and effective settings and its memories per model, oldest first (admin).';
