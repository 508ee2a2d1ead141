-- The session with this id if the context can see it, else no row. last_seq is the number
-- of its events (their seq runs 1 … last_seq without gaps).
CREATE OR REPLACE FUNCTION cogdb.get_session(session_id uuid) RETURNS SETOF cogdb.sessions
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT s.* FROM cogdb.sessions s WHERE s.id = get_session.session_id $$;

REVOKE ALL ON FUNCTION cogdb.get_session(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.get_session(uuid) TO cogdb_app;
COMMENT ON FUNCTION cogdb.get_session(uuid) IS
    'The session with this id if the context can see it (last_seq: how many events it has).';
