-- Deletes a user; true if one was deleted. The user's private memories are deleted with them
-- (purge_private_memories trigger); their tenant-visible memories stay, with owner_user_id
-- set to NULL by the foreign key. Definer for cogdb_admin, fenced to the target tenant.
CREATE OR REPLACE FUNCTION cogdb.delete_user(tenant_id text, user_id text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_caller text[];  -- the caller's context, put back before returning
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_user uuid := cogdb.parse_uuid(user_id, 'user_id');
    v_deleted boolean;
BEGIN
    IF v_tenant IS NULL OR v_user IS NULL THEN
        RAISE EXCEPTION 'tenant_id and user_id are required'
            USING ERRCODE = 'CGV01', COLUMN = CASE WHEN v_tenant IS NULL THEN 'tenant_id' ELSE 'user_id' END,
                  HINT = 'Pass the tenant and the user to delete.';
    END IF;
    v_caller := cogdb.enter_tenant(v_tenant);
    DELETE FROM cogdb.users u WHERE u.id = v_user;
    v_deleted := FOUND;
    PERFORM cogdb.restore_context(v_caller);
    RETURN v_deleted;
END
$$;

REVOKE ALL ON FUNCTION cogdb.delete_user(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.delete_user(text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.delete_user(text, text) IS
    'Deletes a user with their private memories; their tenant-visible memories stay, ownerless (admin).';
