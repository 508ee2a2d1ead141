-- The k offloaded contexts nearest to `query`, nearest first: cogdb.search itself (same
-- plan choice, visibility, expiry and model) restricted to context_type 'offload', with
-- each one's session and sizes; the text itself comes from get_offloaded. The query is checked
-- first: with nothing offloaded to join, the plan may never call cogdb.search.
CREATE OR REPLACE FUNCTION cogdb.search_offloaded(query public.vector, k integer DEFAULT 10,
                                                  model text DEFAULT NULL)
    RETURNS TABLE (id text, similarity double precision, summary text, preview text,
                   session_id uuid, original_bytes integer, stored_bytes integer,
                   compression_ratio double precision, created_at timestamptz, plan text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    PERFORM cogdb.check_vector(search_offloaded.query, 'query');
    RETURN QUERY
    SELECT h.id, h.similarity, h.summary, h.human_content, m.session_id,
           octet_length(o.content), pg_column_size(o.content),
           round((octet_length(o.content)::numeric / pg_column_size(o.content)), 2)::double precision,
           h.created_at, h.plan
      FROM cogdb.search(search_offloaded.query, k => search_offloaded.k,
                        model => search_offloaded.model, only_context_type => 'offload') h
      JOIN cogdb.memories m ON m.id = h.id
      JOIN cogdb.offloaded_contexts o ON o.tenant_id = m.tenant_id AND o.memory_id = m.id
     ORDER BY h.similarity DESC, h.id;
END
$$;

REVOKE ALL ON FUNCTION cogdb.search_offloaded(public.vector, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.search_offloaded(public.vector, integer, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.search_offloaded(public.vector, integer, text) IS
    'The k offloaded contexts nearest to `query` (ranked by cogdb.search), with their session and sizes.';
