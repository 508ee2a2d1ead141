-- The WHERE conditions (each starting ' AND ', on alias m) that search and list_memories
-- share: not expired, then the optional filters as bound parameters numbered from `first`
-- in this order: conversation, source, context type, tags (any of them: a list's element or
-- an object's key, jsonb ?|), created at or after, created before, owner, visibility; then
-- the metadata filter as literals (metadata_filter_sql). Unset parameters fold away when
-- the query is planned.
CREATE OR REPLACE FUNCTION cogdb.memory_filters_sql(first integer, metadata_filter jsonb)
    RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT format(' AND (m.expires_at IS NULL OR m.expires_at > now())'
                  ' AND ($%1$s::text IS NULL OR m.conversation_id = $%1$s)'
                  ' AND ($%2$s::text IS NULL OR m.source = $%2$s)'
                  ' AND ($%3$s::text IS NULL OR m.context_type = $%3$s)'
                  ' AND ($%4$s::text[] IS NULL OR m.tags ?| $%4$s)'
                  ' AND ($%5$s::timestamptz IS NULL OR m.created_at >= $%5$s)'
                  ' AND ($%6$s::timestamptz IS NULL OR m.created_at < $%6$s)'
                  ' AND ($%7$s::uuid IS NULL OR m.owner_user_id = $%7$s)'
                  ' AND ($%8$s::text IS NULL OR m.visibility = $%8$s)',
                  first, first + 1, first + 2, first + 3, first + 4, first + 5, first + 6,
                  first + 7)
           || cogdb.metadata_filter_sql(metadata_filter)
$$;

REVOKE ALL ON FUNCTION cogdb.memory_filters_sql(integer, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.memory_filters_sql(integer, jsonb) TO cogdb_app;
COMMENT ON FUNCTION cogdb.memory_filters_sql(integer, jsonb) IS
    'The WHERE conditions that search and list_memories share: expiry, then the optional filters as numbered parameters and the metadata filter.';
