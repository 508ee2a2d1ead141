-- "What happened in session S": its events in order (seq), at most page_size, after the
-- cursor after_seq (the last seq of the previous page; 0 for the start), optionally only
-- those at or after `since` and before `until` (time order is seq order within a session)
-- and of one type. A session the context cannot see lists nothing. Readers that follow a
-- live session poll with the last seq they saw: appends are visible once committed, and a
-- later commit never gets a lower seq, so nothing is skipped.
CREATE OR REPLACE FUNCTION cogdb.list_events(session_id uuid, after_seq bigint DEFAULT 0,
                                             page_size integer DEFAULT 100,
                                             since timestamptz DEFAULT NULL,
                                             until timestamptz DEFAULT NULL,
                                             only_type text DEFAULT NULL)
    RETURNS SETOF cogdb.events
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
BEGIN
    IF page_size IS NULL OR page_size NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'page_size must be between 1 and 1000, got %', coalesce(page_size::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'page_size',
                  HINT = 'Page through more with after_seq: the last seq of the previous page.';
    END IF;
    IF since IS NULL AND until IS NULL THEN
        RETURN QUERY
        SELECT e.* FROM cogdb.events e
         WHERE e.session_id = list_events.session_id AND e.seq > coalesce(after_seq, 0)
           AND (only_type IS NULL OR e.event_type = only_type)
         ORDER BY e.seq LIMIT page_size;
    ELSE
        -- By time: the (session, created_at) index finds the start.
        RETURN QUERY
        SELECT e.* FROM cogdb.events e
         WHERE e.session_id = list_events.session_id AND e.seq > coalesce(after_seq, 0)
           AND (since IS NULL OR e.created_at >= since)
           AND (until IS NULL OR e.created_at < until)
           AND (only_type IS NULL OR e.event_type = only_type)
         ORDER BY e.created_at, e.seq LIMIT page_size;
    END IF;
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_events(uuid, bigint, integer, timestamptz, timestamptz, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_events(uuid, bigint, integer, timestamptz, timestamptz, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.list_events(uuid, bigint, integer, timestamptz, timestamptz, text) IS
    'The events of a session in seq order, at most page_size, after the cursor after_seq, optionally within a time range and of one type.';
