-- The memory with this id, if the caller may see it and it has not expired; else no row.
-- An id of another tenant or another user's private memory looks exactly like a missing id.
-- include_shared => true: when the context's own tenant has no such memory, the memories of
-- that id that live grants share with the context, one per source tenant (tenant_id says
-- which), each noted in its source's audit chain (note_shared_read: a count, never the id);
-- the request lasts for this call only (share_request(true), then share_request(false)).
-- Every statement names its tenants as constants (planned per call): the planner reads their
-- partitions only.
CREATE OR REPLACE FUNCTION cogdb.get(id text, include_shared boolean DEFAULT false)
    RETURNS SETOF cogdb.memories
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
    v_sources uuid[];
    v_found uuid[];
    v_source uuid;
BEGIN
    IF v_tenant IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT m.* FROM cogdb.memories m
     WHERE m.tenant_id = v_tenant AND m.id = get.id
       AND (m.expires_at IS NULL OR m.expires_at > now());
    IF FOUND OR include_shared IS NOT TRUE THEN
        RETURN;
    END IF;
    v_sources := cogdb.share_request(true);
    v_found := ARRAY(SELECT m.tenant_id FROM cogdb.memories m
                      WHERE m.tenant_id = ANY (v_sources) AND m.id = get.id
                        AND (m.expires_at IS NULL OR m.expires_at > now()));
    IF cardinality(v_found) = 0 THEN
        PERFORM cogdb.share_request(false);
        RETURN;
    END IF;
    RETURN QUERY
    SELECT m.* FROM cogdb.memories m
     WHERE m.tenant_id = ANY (v_found) AND m.id = get.id
       AND (m.expires_at IS NULL OR m.expires_at > now())
     ORDER BY m.tenant_id;
    FOREACH v_source IN ARRAY v_found LOOP
        PERFORM cogdb.note_shared_read(v_source, 'get', 1);
    END LOOP;
    PERFORM cogdb.share_request(false);
END
$$;

REVOKE ALL ON FUNCTION cogdb.get(text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.get(text, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.get(text, boolean) IS
    'The memory with this id, if the caller may see it and it has not expired; include_shared adds the memories of that id that live grants share with the caller.';
