-- The users of one tenant (with their identities as 'provider/external_id'), oldest first.
-- Definer for cogdb_admin. FORCE RLS fences the owner too, so the function takes the target
-- tenant as its own context and restores the caller's before returning.
CREATE OR REPLACE FUNCTION cogdb.list_users(tenant_id text)
    RETURNS TABLE (id uuid, email text, identities text[], created_at timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_caller text[];  -- the caller's context, put back before returning
    v_tenant uuid := cogdb.parse_uuid(list_users.tenant_id, 'tenant_id');
BEGIN
    IF v_tenant IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
    v_caller := cogdb.enter_tenant(v_tenant);
    RETURN QUERY
        SELECT u.id, u.email,
               ARRAY(SELECT i.auth_provider || '/' || i.external_id FROM cogdb.identities i
                      WHERE i.tenant_id = u.tenant_id AND i.user_id = u.id ORDER BY 1),
               u.created_at
          FROM cogdb.users u
         ORDER BY u.created_at, u.id;
    PERFORM cogdb.restore_context(v_caller);
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_users(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_users(text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.list_users(text) IS
    'The users of one tenant (with their identities as ''provider/external_id''), oldest first.';
