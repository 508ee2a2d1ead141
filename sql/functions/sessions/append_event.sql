-- Appends one event to a session and returns its id, its seq (the session's next number)
-- and its time. The trigger check_event_row does the work, so a direct INSERT INTO
-- cogdb.events is appended the same way. `id` lets a client that retries after a lost
-- reply make the append idempotent: a second append with the same id is refused (CGC01)
-- instead of doubled.
CREATE OR REPLACE FUNCTION cogdb.append_event(session_id uuid, event_type text,
                                              payload jsonb DEFAULT '{}',
                                              source_agent text DEFAULT NULL,
                                              target_agent text DEFAULT NULL,
                                              parent_event_id uuid DEFAULT NULL,
                                              id uuid DEFAULT NULL)
    RETURNS TABLE (id uuid, seq bigint, created_at timestamptz)
    LANGUAGE sql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO cogdb.events AS e (id, session_id, event_type, payload, source_agent,
                                   target_agent, parent_event_id)
    VALUES (coalesce(append_event.id, gen_random_uuid()), append_event.session_id,
            append_event.event_type, coalesce(append_event.payload, '{}'),
            append_event.source_agent, append_event.target_agent,
            append_event.parent_event_id)
    RETURNING e.id, e.seq, e.created_at
$$;

REVOKE ALL ON FUNCTION cogdb.append_event(uuid, text, jsonb, text, text, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.append_event(uuid, text, jsonb, text, text, uuid, uuid) TO cogdb_app;
COMMENT ON FUNCTION cogdb.append_event(uuid, text, jsonb, text, text, uuid, uuid) IS
    'Appends one event to a session and returns its id, seq (gapless within the session) and time.';
