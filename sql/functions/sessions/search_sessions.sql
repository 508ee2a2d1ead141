-- "The sessions where X came up": the sessions (that the context can see) of the memories
-- nearest to `query`, best first. It ranks with cogdb.search itself (the same plan choice,
-- filters of visibility and expiry, and model), taking its `candidates` nearest memories
-- (1 … settings.search.max_k), then groups them by session: similarity is the best of the
-- session's memories among them, matches how many there were, best_memory_id the nearest.
-- Memories without a session are left out. Ties: by session id.
CREATE OR REPLACE FUNCTION cogdb.search_sessions(query public.vector, k integer DEFAULT 10,
                                                 model text DEFAULT NULL,
                                                 candidates integer DEFAULT 200)
    RETURNS TABLE (session_id uuid, similarity double precision, matches bigint,
                   best_memory_id text, owner_user_id uuid, visibility text, mode text,
                   agent text, parent_session_id uuid, started_at timestamptz,
                   ended_at timestamptz, plan text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    IF search_sessions.k IS NULL OR search_sessions.k NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'k must be between 1 and 1000, got %', coalesce(search_sessions.k::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'k', HINT = 'k is how many sessions to return.';
    END IF;
    -- Checked here too: with no session to join, the plan may never call cogdb.search.
    PERFORM cogdb.check_vector(search_sessions.query, 'query');
    RETURN QUERY
    SELECT s.id, max(h.similarity), count(*),
           (array_agg(h.id ORDER BY h.similarity DESC, h.id))[1],
           s.owner_user_id, s.visibility, s.mode, s.agent, s.parent_session_id, s.started_at,
           s.ended_at, min(h.plan)
      FROM cogdb.search(search_sessions.query, k => search_sessions.candidates,
                        model => search_sessions.model) h
      JOIN cogdb.memories m ON m.id = h.id
      JOIN cogdb.sessions s ON s.tenant_id = m.tenant_id AND s.id = m.session_id
     GROUP BY s.tenant_id, s.id
     ORDER BY 2 DESC, 1
     LIMIT search_sessions.k;
END
$$;

REVOKE ALL ON FUNCTION cogdb.search_sessions(public.vector, integer, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.search_sessions(public.vector, integer, text, integer) TO cogdb_app;
COMMENT ON FUNCTION cogdb.search_sessions(public.vector, integer, text, integer) IS
    'The sessions whose memories are nearest to `query` (ranked by cogdb.search), best first.';
