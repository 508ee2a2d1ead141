-- The session with this id if the context can see it, else no row; event_count is how many
-- events it has (their seq runs 1 … event_count without gaps: one index probe).
CREATE OR REPLACE FUNCTION cogdb.get_session(session_id uuid)
    RETURNS TABLE (id uuid, owner_user_id uuid, visibility text, mode text, agent text,
                   parent_session_id uuid, started_at timestamptz, ended_at timestamptz,
                   metadata jsonb, event_count bigint)
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.id, s.owner_user_id, s.visibility, s.mode, s.agent, s.parent_session_id,
           s.started_at, s.ended_at, s.metadata,
           (SELECT coalesce(max(e.seq), 0) FROM cogdb.events e
             WHERE e.tenant_id = s.tenant_id AND e.session_id = s.id)
      FROM cogdb.sessions s WHERE s.id = get_session.session_id
$$;

REVOKE ALL ON FUNCTION cogdb.get_session(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.get_session(uuid) TO cogdb_app;
COMMENT ON FUNCTION cogdb.get_session(uuid) IS
    'The session with this id if the context can see it, with how many events it has.';
