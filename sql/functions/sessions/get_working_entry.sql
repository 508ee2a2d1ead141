-- The live (not expired) working-context entry with this key in its namespace (session,
-- agent, tier), if the context can see it; else no row. The private tier is the context
-- user's own.
CREATE OR REPLACE FUNCTION cogdb.get_working_entry(key text, session_id uuid DEFAULT NULL,
                                                   agent text DEFAULT NULL,
                                                   tier text DEFAULT 'shared')
    RETURNS SETOF cogdb.working_context
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT w.* FROM cogdb.working_context w
     WHERE w.key = get_working_entry.key
       AND w.session_id IS NOT DISTINCT FROM get_working_entry.session_id
       AND w.agent IS NOT DISTINCT FROM get_working_entry.agent
       AND w.tier = get_working_entry.tier
       AND (w.tier = 'shared' OR w.owner_user_id = cogdb.current_user_id())
       AND (w.expires_at IS NULL OR w.expires_at > now())
$$;

REVOKE ALL ON FUNCTION cogdb.get_working_entry(text, uuid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.get_working_entry(text, uuid, text, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.get_working_entry(text, uuid, text, text) IS
    'The live working-context entry with this key in its namespace (session, agent, tier), if the context can see it.';
