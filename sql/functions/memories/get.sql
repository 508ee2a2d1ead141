-- The memory with this id, if the caller may see it and it has not expired; else no row.
-- An id of another tenant or another user's private memory looks exactly like a missing id.
CREATE OR REPLACE FUNCTION cogdb.get(id text) RETURNS SETOF cogdb.memories
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT m.* FROM cogdb.memories m
     WHERE m.id = get.id AND (m.expires_at IS NULL OR m.expires_at > now())
$$;

REVOKE ALL ON FUNCTION cogdb.get(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.get(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.get(text) IS
    'The memory with this id, if the caller may see it and it has not expired.';
