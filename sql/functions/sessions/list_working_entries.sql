-- The live working-context entries of one namespace (session_id and agent, each matched
-- exactly, NULL included) that the context can see, by key, optionally of one tier and
-- only keys starting with key_prefix; at most page_size, after the cursor (after_key,
-- after_tier): the last row's key and tier.
CREATE OR REPLACE FUNCTION cogdb.list_working_entries(session_id uuid DEFAULT NULL,
                                                      agent text DEFAULT NULL,
                                                      tier text DEFAULT NULL,
                                                      key_prefix text DEFAULT NULL,
                                                      page_size integer DEFAULT 100,
                                                      after_key text DEFAULT NULL,
                                                      after_tier text DEFAULT NULL)
    RETURNS SETOF cogdb.working_context
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
BEGIN
    IF page_size IS NULL OR page_size NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'page_size must be between 1 and 1000, got %', coalesce(page_size::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'page_size',
                  HINT = 'Page through more with after_key and after_tier: the last row''s key and tier.';
    END IF;
    RETURN QUERY
    SELECT w.* FROM cogdb.working_context w
     WHERE w.session_id IS NOT DISTINCT FROM list_working_entries.session_id
       AND w.agent IS NOT DISTINCT FROM list_working_entries.agent
       AND (tier IS NULL OR w.tier = tier)
       AND (w.tier = 'shared' OR w.owner_user_id = cogdb.current_user_id())
       AND (key_prefix IS NULL OR starts_with(w.key, key_prefix))
       AND (after_key IS NULL OR (w.key, w.tier) > (after_key, coalesce(after_tier, '')))
       AND (w.expires_at IS NULL OR w.expires_at > now())
     ORDER BY w.key, w.tier
     LIMIT page_size;
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_working_entries(uuid, text, text, text, integer, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_working_entries(uuid, text, text, text, integer, text, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.list_working_entries(uuid, text, text, text, integer, text, text) IS
    'The live working-context entries of one namespace (session, agent) that the context can see, by key, at most page_size, after the cursor (after_key, after_tier).';
