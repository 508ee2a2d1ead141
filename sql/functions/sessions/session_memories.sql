-- "What was remembered in session S": the memories of a session the context can see, in the
-- order they were made (created_at, then id), at most page_size, after the keyset cursor
-- (after_created_at, after_id) when given. Expired memories are not listed; a session the
-- context cannot see lists nothing (even memories of it that are tenant-visible).
CREATE OR REPLACE FUNCTION cogdb.session_memories(session_id uuid, page_size integer DEFAULT 100,
                                                  after_created_at timestamptz DEFAULT NULL,
                                                  after_id text DEFAULT NULL)
    RETURNS SETOF cogdb.memories
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
BEGIN
    IF page_size IS NULL OR page_size NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'page_size must be between 1 and 1000, got %', coalesce(page_size::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'page_size',
                  HINT = 'Page through more with the cursor: the last row''s created_at and id.';
    END IF;
    IF (after_created_at IS NULL) <> (after_id IS NULL) THEN
        RAISE EXCEPTION 'after_created_at and after_id go together (the last row of the previous page)'
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN after_id IS NULL THEN 'after_id' ELSE 'after_created_at' END,
                  HINT = 'Pass both, or neither for the first page.';
    END IF;
    RETURN QUERY
    SELECT m.* FROM cogdb.memories m
     WHERE m.session_id = session_memories.session_id
       AND EXISTS (SELECT FROM cogdb.sessions s
                    WHERE s.tenant_id = m.tenant_id AND s.id = m.session_id)
       AND (m.expires_at IS NULL OR m.expires_at > now())
       AND (after_created_at IS NULL OR (m.created_at, m.id) > (after_created_at, after_id))
     ORDER BY m.created_at, m.id
     LIMIT page_size;
END
$$;

REVOKE ALL ON FUNCTION cogdb.session_memories(uuid, integer, timestamptz, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.session_memories(uuid, integer, timestamptz, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.session_memories(uuid, integer, timestamptz, text) IS
    'The memories of a session the context can see, oldest first, at most page_size, after the keyset cursor (after_created_at, after_id) when given.';
