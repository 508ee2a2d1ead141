-- An offloaded context by id, if the context can see its memory and it has not expired:
-- the whole text, its size (original_bytes, octet_length) and what it takes on disk
-- (stored_bytes, pg_column_size: after TOAST compression), their ratio, and the memory's
-- summary, session, owner, visibility, tags, metadata and time. Else no row.
CREATE OR REPLACE FUNCTION cogdb.get_offloaded(id text)
    RETURNS TABLE (id text, content text, original_bytes integer, stored_bytes integer,
                   compression_ratio double precision, summary text, session_id uuid,
                   owner_user_id uuid, visibility text, tags jsonb, metadata jsonb,
                   created_at timestamptz, expires_at timestamptz, model text)
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT o.memory_id, o.content, octet_length(o.content), pg_column_size(o.content),
           round((octet_length(o.content)::numeric / pg_column_size(o.content)), 2)::double precision,
           m.summary, m.session_id, m.owner_user_id, m.visibility, m.tags, m.metadata,
           m.created_at, m.expires_at, m.model
      FROM cogdb.offloaded_contexts o
      JOIN cogdb.memories m ON m.tenant_id = o.tenant_id AND m.id = o.memory_id
     WHERE o.memory_id = get_offloaded.id AND (m.expires_at IS NULL OR m.expires_at > now())
$$;

REVOKE ALL ON FUNCTION cogdb.get_offloaded(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.get_offloaded(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.get_offloaded(text) IS
    'An offloaded context by id: the whole text, its size before and after compression and their ratio, with its memory''s fields.';
