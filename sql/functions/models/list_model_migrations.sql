-- The model migrations of one tenant (or of every tenant), newest first: phase, models,
-- keyset position and counts (`cogdb model migrations`). Definer for cogdb_admin:
-- model_migrations is owner-only.
CREATE OR REPLACE FUNCTION cogdb.list_model_migrations(tenant_id text DEFAULT NULL)
    RETURNS SETOF cogdb.model_migrations
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := CASE WHEN tenant_id IS NOT NULL THEN cogdb.known_tenant(tenant_id) END;
BEGIN
    RETURN QUERY SELECT g.* FROM cogdb.model_migrations g
                  WHERE v_tenant IS NULL OR g.tenant_id = v_tenant
                  ORDER BY g.started_at DESC, g.id DESC;
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_model_migrations(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_model_migrations(text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.list_model_migrations(text) IS
    'The model migrations of one tenant (or every tenant), newest first, with phase and progress.';
