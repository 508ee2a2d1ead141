-- Removes a tenant's retention policy for a context type and source; true if there was one.
-- Memories it hid become visible again (unless the purge removed them). Definer for
-- cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.drop_retention_policy(tenant_id text, context_type text DEFAULT '*',
                                                       source text DEFAULT '*')
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_saved text[];
    v_found boolean;
BEGIN
    v_saved := cogdb.enter_tenant(v_tenant);
    DELETE FROM cogdb.retention_policies p
     WHERE p.tenant_id = v_tenant AND p.context_type = context_type AND p.source = source;
    v_found := FOUND;
    PERFORM cogdb.restore_context(v_saved);
    RETURN v_found;
END
$$;

REVOKE ALL ON FUNCTION cogdb.drop_retention_policy(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.drop_retention_policy(text, text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.drop_retention_policy(text, text, text) IS
    'Removes a tenant''s retention policy for a context type and source; true if there was one.';
