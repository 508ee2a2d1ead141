-- The sessions the context can see, newest first (started_at, then id, both descending), at
-- most page_size, after the keyset cursor (before_started_at, before_id) when given: pass
-- the last row's started_at and id for the next page. Optional filters: owner, mode, agent,
-- parent session, and only_open (not ended). event_count: as get_session. No context: no
-- rows.
CREATE OR REPLACE FUNCTION cogdb.list_sessions(page_size integer DEFAULT 20,
                                               before_started_at timestamptz DEFAULT NULL,
                                               before_id uuid DEFAULT NULL,
                                               only_owner uuid DEFAULT NULL,
                                               only_mode text DEFAULT NULL,
                                               only_agent text DEFAULT NULL,
                                               only_parent uuid DEFAULT NULL,
                                               only_open boolean DEFAULT false)
    RETURNS TABLE (id uuid, owner_user_id uuid, visibility text, mode text, agent text,
                   parent_session_id uuid, started_at timestamptz, ended_at timestamptz,
                   metadata jsonb, event_count bigint)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    IF list_sessions.page_size IS NULL OR list_sessions.page_size NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'page_size must be between 1 and 1000, got %',
                        coalesce(list_sessions.page_size::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'page_size',
                  HINT = 'Page through more with the cursor: the last row''s started_at and id.';
    END IF;
    IF (list_sessions.before_started_at IS NULL) <> (list_sessions.before_id IS NULL) THEN
        RAISE EXCEPTION 'before_started_at and before_id go together (the last row of the previous page)'
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN list_sessions.before_id IS NULL THEN 'before_id'
                                ELSE 'before_started_at' END,
                  HINT = 'Pass both, or neither for the first page.';
    END IF;
    RETURN QUERY
    SELECT s.id, s.owner_user_id, s.visibility, s.mode, s.agent, s.parent_session_id,
           s.started_at, s.ended_at, s.metadata,
           (SELECT coalesce(max(e.seq), 0) FROM cogdb.events e
             WHERE e.tenant_id = s.tenant_id AND e.session_id = s.id)
      FROM cogdb.sessions s
     WHERE (list_sessions.before_started_at IS NULL
            OR (s.started_at, s.id) < (list_sessions.before_started_at, list_sessions.before_id))
       AND (list_sessions.only_owner IS NULL OR s.owner_user_id = list_sessions.only_owner)
       AND (list_sessions.only_mode IS NULL OR s.mode = list_sessions.only_mode)
       AND (list_sessions.only_agent IS NULL OR s.agent = list_sessions.only_agent)
       AND (list_sessions.only_parent IS NULL OR s.parent_session_id = list_sessions.only_parent)
       AND (NOT coalesce(list_sessions.only_open, false) OR s.ended_at IS NULL)
     ORDER BY s.started_at DESC, s.id DESC
     LIMIT list_sessions.page_size;
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_sessions(integer, timestamptz, uuid, uuid, text, text, uuid, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_sessions(integer, timestamptz, uuid, uuid, text, text, uuid, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.list_sessions(integer, timestamptz, uuid, uuid, text, text, uuid, boolean) IS
    'The sessions the context can see, newest first, at most page_size, after the keyset cursor (before_started_at, before_id) when given.';
