-- Trigger (BEFORE DELETE ON users): deletes the departing user's private entities and
-- private relationships, which no one else may read, before the foreign keys clear the owner
-- of their shared ones (like purge_private_memories; relationships that touch a deleted
-- entity or memory go with it by their own foreign keys). Definer so it can see the private
-- rows: it takes the user's own context for the purge and restores the caller's.
CREATE OR REPLACE FUNCTION cogdb.purge_private_knowledge() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_caller text[];  -- the caller's context, put back before returning
BEGIN
    v_caller := cogdb.enter_tenant(OLD.tenant_id, OLD.id);
    DELETE FROM cogdb.relationships r
     WHERE r.tenant_id = OLD.tenant_id AND r.owner_user_id = OLD.id AND r.visibility = 'private';
    DELETE FROM cogdb.entities e
     WHERE e.tenant_id = OLD.tenant_id AND e.owner_user_id = OLD.id AND e.visibility = 'private';
    PERFORM cogdb.restore_context(v_caller);
    RETURN OLD;
END
$$;

REVOKE ALL ON FUNCTION cogdb.purge_private_knowledge() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.purge_private_knowledge() IS
    'Row trigger on users: deletes a departing user''s private entities and relationships before the foreign keys clear the owner of their shared ones.';
