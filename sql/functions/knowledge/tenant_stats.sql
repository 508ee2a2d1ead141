-- One tenant's statistics for an admin (what `cogdb tenant show` prints): stats_document of
-- that tenant. Definer for cogdb_admin; CGN01 for an unknown tenant.
CREATE OR REPLACE FUNCTION cogdb.tenant_stats(tenant_id text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
BEGIN
    IF v_tenant IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
    RETURN cogdb.stats_document(v_tenant);
END
$$;

REVOKE ALL ON FUNCTION cogdb.tenant_stats(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.tenant_stats(text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.tenant_stats(text) IS
    'One tenant''s statistics for an admin (cogdb tenant show).';
