-- The memories the caller may see, newest first (created_at, then id, both descending), at
-- most `page_size` of them, after the keyset cursor (before_created_at, before_id) when
-- given: pass the last row's created_at and id to get the next page. Same filters as
-- search, plus the model (any model when NULL). Expired memories are never listed; no
-- context lists nothing. The context's tenant is a literal in the statement: the planner reads
-- the tenant's partition only.
CREATE OR REPLACE FUNCTION cogdb.list_memories(page_size integer DEFAULT 20,
                                               before_created_at timestamptz DEFAULT NULL,
                                               before_id text DEFAULT NULL,
                                               only_conversation text DEFAULT NULL,
                                               only_source text DEFAULT NULL,
                                               only_context_type text DEFAULT NULL,
                                               tags_any text[] DEFAULT NULL,
                                               created_after timestamptz DEFAULT NULL,
                                               created_before timestamptz DEFAULT NULL,
                                               only_owner uuid DEFAULT NULL,
                                               only_visibility text DEFAULT NULL,
                                               metadata_filter jsonb DEFAULT NULL,
                                               model text DEFAULT NULL)
    RETURNS SETOF cogdb.memories
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
BEGIN
    IF page_size IS NULL OR page_size NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'page_size must be between 1 and 1000, got %', coalesce(page_size::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'page_size',
                  HINT = 'Page through more with the cursor: the last row''s created_at and id.';
    END IF;
    IF (before_created_at IS NULL) <> (before_id IS NULL) THEN
        RAISE EXCEPTION 'before_created_at and before_id go together (the last row of the previous page)'
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN before_id IS NULL THEN 'before_id' ELSE 'before_created_at' END,
                  HINT = 'Pass both, or neither for the first page.';
    END IF;
    IF v_tenant IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE
        format('SELECT m.* FROM cogdb.memories m WHERE m.tenant_id = %L', v_tenant)
        || ' AND ($1::timestamptz IS NULL OR (m.created_at, m.id) < ($1, $2::text))'
        ' AND ($11::text IS NULL OR m.model = $11)'
        || cogdb.memory_filters_sql(3, metadata_filter)
        || ' ORDER BY m.created_at DESC, m.id DESC LIMIT $12'
      USING before_created_at, before_id, only_conversation, only_source, only_context_type,
            tags_any, created_after, created_before, only_owner, only_visibility, model,
            page_size;
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_memories(integer, timestamptz, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_memories(integer, timestamptz, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, jsonb, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.list_memories(integer, timestamptz, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, jsonb, text) IS
    'The memories the caller may see, newest first (created_at, then id, both descending), at most `page_size` of them, after the keyset cursor (before_created_at, before_id) when given.';
