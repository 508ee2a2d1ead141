-- Releases the legal hold on a tenant (user_id NULL) or one of its users; true if there was
-- one. The next purge applies the tenant's policies to what it held. Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.release_legal_hold(tenant_id text, user_id text DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_user uuid := cogdb.parse_uuid(user_id, 'user_id');
    v_saved text[];
    v_found boolean;
BEGIN
    v_saved := cogdb.enter_tenant(v_tenant);
    DELETE FROM cogdb.retention_holds h
     WHERE h.tenant_id = v_tenant AND h.user_id IS NOT DISTINCT FROM v_user;
    v_found := FOUND;
    PERFORM cogdb.restore_context(v_saved);
    RETURN v_found;
END
$$;

REVOKE ALL ON FUNCTION cogdb.release_legal_hold(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.release_legal_hold(text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.release_legal_hold(text, text) IS
    'Releases the legal hold on a tenant (user_id NULL) or one of its users; true if there was one.';
