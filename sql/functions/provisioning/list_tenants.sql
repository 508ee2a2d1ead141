-- Every tenant with its stored and effective settings, oldest first. Cross-tenant, so a
-- definer over the owner-only registry policy (tenants__registry_owner); for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.list_tenants()
    RETURNS TABLE (id uuid, name text, external_id text, mode text, isolation_level text,
                   default_model text, settings jsonb, effective_settings jsonb,
                   created_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT t.id, t.name, t.external_id, t.mode, t.isolation_level, t.default_model, t.settings,
           cogdb.effective_settings(t.mode, t.settings), t.created_at
      FROM cogdb.tenants t
     ORDER BY t.created_at, t.id
$$;

REVOKE ALL ON FUNCTION cogdb.list_tenants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_tenants() TO cogdb_admin;
