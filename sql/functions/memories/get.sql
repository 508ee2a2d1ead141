-- The memory with this id, if the caller may see it and it has not expired; else no row.
-- An id of another tenant or another user's private memory looks exactly like a missing id.
-- The context's tenant is named in the statement (planned per call): the planner reads the
-- tenant's partition only.
CREATE OR REPLACE FUNCTION cogdb.get(id text) RETURNS SETOF cogdb.memories
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
BEGIN
    IF v_tenant IS NOT NULL THEN
        RETURN QUERY
        SELECT m.* FROM cogdb.memories m
         WHERE m.tenant_id = v_tenant AND m.id = get.id
           AND (m.expires_at IS NULL OR m.expires_at > now());
    END IF;
END
$$;

REVOKE ALL ON FUNCTION cogdb.get(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.get(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.get(text) IS
    'The memory with this id, if the caller may see it and it has not expired.';
