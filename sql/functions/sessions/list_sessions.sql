-- The sessions the context can see, newest first (started_at, then id, both descending), at
-- most page_size, after the keyset cursor (before_started_at, before_id) when given: pass
-- the last row's started_at and id for the next page. Optional filters: owner, mode, agent,
-- parent session, and only_open (not ended). No context: no rows.
CREATE OR REPLACE FUNCTION cogdb.list_sessions(page_size integer DEFAULT 20,
                                               before_started_at timestamptz DEFAULT NULL,
                                               before_id uuid DEFAULT NULL,
                                               only_owner uuid DEFAULT NULL,
                                               only_mode text DEFAULT NULL,
                                               only_agent text DEFAULT NULL,
                                               only_parent uuid DEFAULT NULL,
                                               only_open boolean DEFAULT false)
    RETURNS SETOF cogdb.sessions
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
BEGIN
    IF page_size IS NULL OR page_size NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'page_size must be between 1 and 1000, got %', coalesce(page_size::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'page_size',
                  HINT = 'Page through more with the cursor: the last row''s started_at and id.';
    END IF;
    IF (before_started_at IS NULL) <> (before_id IS NULL) THEN
        RAISE EXCEPTION 'before_started_at and before_id go together (the last row of the previous page)'
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN before_id IS NULL THEN 'before_id' ELSE 'before_started_at' END,
                  HINT = 'Pass both, or neither for the first page.';
    END IF;
    RETURN QUERY
    SELECT s.* FROM cogdb.sessions s
     WHERE (before_started_at IS NULL OR (s.started_at, s.id) < (before_started_at, before_id))
       AND (only_owner IS NULL OR s.owner_user_id = only_owner)
       AND (only_mode IS NULL OR s.mode = only_mode)
       AND (only_agent IS NULL OR s.agent = only_agent)
       AND (only_parent IS NULL OR s.parent_session_id = only_parent)
       AND (NOT coalesce(only_open, false) OR s.ended_at IS NULL)
     ORDER BY s.started_at DESC, s.id DESC
     LIMIT page_size;
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_sessions(integer, timestamptz, uuid, uuid, text, text, uuid, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_sessions(integer, timestamptz, uuid, uuid, text, text, uuid, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.list_sessions(integer, timestamptz, uuid, uuid, text, text, uuid, boolean) IS
    'The sessions the context can see, newest first, at most page_size, after the keyset cursor (before_started_at, before_id) when given.';
