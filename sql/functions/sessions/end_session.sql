-- Ends a session the context can see and returns when it ended; ending an ended session
-- returns its end again. From then on it takes no events: the end takes the session's row
-- lock, so an append that waited for it is refused, and every event of the session comes
-- before its end. CGN01 for a session the context cannot see, like a missing one. Definer,
-- like start_session.
CREATE OR REPLACE FUNCTION cogdb.end_session(session_id uuid) RETURNS timestamptz
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.require_tenant('ending a session');
    v_ended timestamptz;
BEGIN
    UPDATE cogdb.sessions s SET ended_at = greatest(clock_timestamp(), s.started_at)
     WHERE s.tenant_id = v_tenant AND s.id = session_id AND s.ended_at IS NULL
    RETURNING s.ended_at INTO v_ended;
    IF NOT FOUND THEN
        SELECT s.ended_at INTO v_ended FROM cogdb.sessions s
         WHERE s.tenant_id = v_tenant AND s.id = session_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no session %', session_id
                USING ERRCODE = 'CGN01', COLUMN = 'session_id',
                      HINT = 'Sessions of other tenants, and other users'' private sessions, do not exist here.';
        END IF;
    END IF;
    RETURN v_ended;
END
$$;

REVOKE ALL ON FUNCTION cogdb.end_session(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.end_session(uuid) TO cogdb_app;
COMMENT ON FUNCTION cogdb.end_session(uuid) IS
    'Ends a session the context can see and returns when it ended (idempotent); it takes no more events.';
