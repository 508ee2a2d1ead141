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
    -- The caller's context, restored before returning (an error aborts the transaction or
    -- rolls back the savepoint, and either reverts the settings by itself).
    v_caller_tenant text := coalesce(current_setting('app.tenant_id', true), '');
    v_caller_user text := coalesce(current_setting('app.user_id', true), '');
    v_caller_stamp text := coalesce(current_setting('app.context_xact', true), '');
    v_tenant uuid := cogdb.parse_uuid(list_users.tenant_id, 'tenant_id');
BEGIN
    IF v_tenant IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
    PERFORM set_config('app.tenant_id', v_tenant::text, true);
    PERFORM set_config('app.user_id', '', true);
    PERFORM set_config('app.context_xact', cogdb.context_stamp(), true);
    RETURN QUERY
        SELECT u.id, u.email,
               ARRAY(SELECT i.auth_provider || '/' || i.external_id FROM cogdb.identities i
                      WHERE i.tenant_id = u.tenant_id AND i.user_id = u.id ORDER BY 1),
               u.created_at
          FROM cogdb.users u
         ORDER BY u.created_at, u.id;
    PERFORM set_config('app.tenant_id', v_caller_tenant, true);
    PERFORM set_config('app.user_id', v_caller_user, true);
    PERFORM set_config('app.context_xact', v_caller_stamp, true);
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_users(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_users(text) TO cogdb_admin;
