-- Deletes the entity a reference names (entity:<id>, name:<name>, key:<system>:<external id>;
-- an alias resolves to its survivor) if the caller can see it; true if one was deleted. Its
-- observations, aliases and relationships go with it (foreign keys, ON DELETE CASCADE). An
-- entity the caller cannot see returns false, exactly like a missing one.
CREATE OR REPLACE FUNCTION cogdb.forget_entity(ref text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_kind text;
    v_id text;
BEGIN
    PERFORM cogdb.require_tenant('forgetting an entity');
    SELECT r.kind, r.id INTO v_kind, v_id FROM cogdb.resolve_node(ref, 'ref') r;
    IF v_kind IS DISTINCT FROM 'entity' THEN
        RETURN false;
    END IF;
    DELETE FROM cogdb.entities e WHERE e.tenant_id = cogdb.current_tenant_id() AND e.id = v_id;
    RETURN FOUND;
END
$$;

REVOKE ALL ON FUNCTION cogdb.forget_entity(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.forget_entity(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.forget_entity(text) IS
    'Deletes an entity the caller can see, with its observations, aliases and relationships; false for a missing or invisible one.';
