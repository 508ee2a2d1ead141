-- Offloads a large context and returns its id: one memory (context_type 'offload', with the
-- embedding, so cogdb.search finds it like any memory) plus the whole text, compressed by
-- TOAST, in offloaded_contexts under the same id. `fields` takes remember's memory fields
-- (summary, session_id, visibility, tags, metadata, conversation_id, expires_at, …) except
-- the contents and context_type, which this sets: the memory's human_content is the summary,
-- or the text's first 2,000 characters. The text is 1 byte to 10 MB. All or nothing.
CREATE OR REPLACE FUNCTION cogdb.offload_context(content text, embedding public.vector,
                                                 fields jsonb DEFAULT '{}',
                                                 model text DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_fields jsonb := coalesce(offload_context.fields, '{}');
    v_id text;
BEGIN
    PERFORM cogdb.require_tenant('offloading a context');
    IF coalesce(octet_length(offload_context.content), 0) NOT BETWEEN 1 AND 10485760 THEN
        RAISE EXCEPTION 'content must be 1 byte to 10 MB of text, got % bytes',
                        coalesce(octet_length(offload_context.content), 0)
            USING ERRCODE = 'CGV01', COLUMN = 'content',
                  HINT = 'Split larger contexts into several offloads.';
    END IF;
    IF jsonb_typeof(v_fields) <> 'object'
       OR v_fields ?| ARRAY['human_content', 'assistant_content', 'context_type'] THEN
        RAISE EXCEPTION 'fields must be a JSON object of memory fields other than human_content, assistant_content and context_type'
            USING ERRCODE = 'CGV01', COLUMN = 'fields',
                  HINT = 'e.g. {"summary": "…", "session_id": "…", "visibility": "private"}';
    END IF;
    v_id := cogdb.remember(coalesce(nullif(v_fields ->> 'summary', ''),
                                    left(offload_context.content, 2000)),
                           '', offload_context.embedding,
                           v_fields || '{"context_type": "offload"}', offload_context.model);
    INSERT INTO cogdb.offloaded_contexts (memory_id, content) VALUES (v_id, offload_context.content);
    RETURN v_id;
END
$$;

REVOKE ALL ON FUNCTION cogdb.offload_context(text, public.vector, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.offload_context(text, public.vector, jsonb, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.offload_context(text, public.vector, jsonb, text) IS
    'Offloads a large context: a searchable memory (context_type offload) plus the whole text, compressed; returns their id.';
