-- Deletes the memory with this id if the caller may see it; true if a row was deleted.
-- An invisible id returns false, exactly like a missing one. The context's tenant is named in
-- the statement (planned per call): the planner reads the tenant's partition only.
CREATE OR REPLACE FUNCTION cogdb.forget(id text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_tenant uuid := cogdb.require_tenant('forgetting a memory');
BEGIN
    DELETE FROM cogdb.memories m WHERE m.tenant_id = v_tenant AND m.id = forget.id;
    RETURN FOUND;
END
$$;

REVOKE ALL ON FUNCTION cogdb.forget(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.forget(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.forget(text) IS
    'Deletes the memory with this id if the caller may see it; true if it did, false for a missing or invisible id.';
