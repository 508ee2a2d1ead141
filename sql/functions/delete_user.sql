-- Deletes a user; true if one was deleted. The user's private memories are deleted with them
-- (purge_private_memories trigger); their tenant-visible memories stay, with owner_user_id
-- set to NULL by the foreign key. Definer for cogdb_admin, fenced to the target tenant.
CREATE OR REPLACE FUNCTION cogdb.delete_user(tenant_id text, user_id text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    -- The caller's context, restored before returning (an error aborts the transaction or
    -- rolls back the savepoint, and either reverts the settings by itself).
    v_caller_tenant text := coalesce(current_setting('app.tenant_id', true), '');
    v_caller_user text := coalesce(current_setting('app.user_id', true), '');
    v_caller_stamp text := coalesce(current_setting('app.context_xact', true), '');
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_user uuid := cogdb.parse_uuid(user_id, 'user_id');
    v_deleted boolean;
BEGIN
    IF v_tenant IS NULL OR v_user IS NULL THEN
        RAISE EXCEPTION 'tenant_id and user_id are required'
            USING ERRCODE = 'CGV01', COLUMN = CASE WHEN v_tenant IS NULL THEN 'tenant_id' ELSE 'user_id' END,
                  HINT = 'Pass the tenant and the user to delete.';
    END IF;
    PERFORM set_config('app.tenant_id', v_tenant::text, true);
    PERFORM set_config('app.user_id', '', true);
    PERFORM set_config('app.context_xact', cogdb.context_stamp(), true);
    DELETE FROM cogdb.users u WHERE u.id = v_user;
    v_deleted := FOUND;
    PERFORM set_config('app.tenant_id', v_caller_tenant, true);
    PERFORM set_config('app.user_id', v_caller_user, true);
    PERFORM set_config('app.context_xact', v_caller_stamp, true);
    RETURN v_deleted;
END
$$;

REVOKE ALL ON FUNCTION cogdb.delete_user(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.delete_user(text, text) TO cogdb_admin;
