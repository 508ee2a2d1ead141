-- Trigger (BEFORE DELETE ON users): deletes the departing user's private memories, which no
-- one else may read, before the foreign key clears owner_user_id on their shared ones.
-- Definer so it can see the private rows: it takes the user's own context for the purge,
-- and restores the caller's context before returning.
CREATE OR REPLACE FUNCTION cogdb.purge_private_memories() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- The caller's context, restored before returning (an error aborts the transaction or
    -- rolls back the savepoint, and either reverts the settings by itself).
    v_caller_tenant text := coalesce(current_setting('app.tenant_id', true), '');
    v_caller_user text := coalesce(current_setting('app.user_id', true), '');
    v_caller_stamp text := coalesce(current_setting('app.context_xact', true), '');
BEGIN
    PERFORM set_config('app.tenant_id', OLD.tenant_id::text, true);
    PERFORM set_config('app.user_id', OLD.id::text, true);
    PERFORM set_config('app.context_xact', cogdb.context_stamp(), true);
    DELETE FROM cogdb.memories m
     WHERE m.tenant_id = OLD.tenant_id AND m.owner_user_id = OLD.id AND m.visibility = 'private';
    PERFORM set_config('app.tenant_id', v_caller_tenant, true);
    PERFORM set_config('app.user_id', v_caller_user, true);
    PERFORM set_config('app.context_xact', v_caller_stamp, true);
    RETURN OLD;
END
$$;

REVOKE ALL ON FUNCTION cogdb.purge_private_memories() FROM PUBLIC;
