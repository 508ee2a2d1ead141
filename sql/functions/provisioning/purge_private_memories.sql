-- Trigger (BEFORE DELETE ON users): deletes the departing user's private memories, which no
-- one else may read, before the foreign key clears owner_user_id on their shared ones.
-- Definer so it can see the private rows: it takes the user's own context for the purge,
-- and restores the caller's context before returning. Planned per call, so the tenant's
-- partition is the only one read.
CREATE OR REPLACE FUNCTION cogdb.purge_private_memories() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_caller text[];  -- the caller's context, put back before returning
BEGIN
    v_caller := cogdb.enter_tenant(OLD.tenant_id, OLD.id);
    DELETE FROM cogdb.memories m
     WHERE m.tenant_id = OLD.tenant_id AND m.owner_user_id = OLD.id AND m.visibility = 'private';
    PERFORM cogdb.restore_context(v_caller);
    RETURN OLD;
END
$$;

REVOKE ALL ON FUNCTION cogdb.purge_private_memories() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.purge_private_memories() IS
    'Row trigger on users: deletes a departing user''s private memories before the foreign key clears the owner of their shared ones.';
