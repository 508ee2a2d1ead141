-- The tsquery hybrid search runs for `query`: parsed like a web search box
-- (websearch_to_tsquery: words, "quoted phrases", -excluded, OR) in the context tenant's
-- search.language. Tokens such as order numbers or error codes become phrases
-- ('ord-2024-17' <-> 'ord' <-> '2024' <-> '17'), so they match exactly. text_candidates
-- decides how the words combine (all of them, then each one).
CREATE OR REPLACE FUNCTION cogdb.text_query(query text) RETURNS tsquery
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT websearch_to_tsquery(cogdb.tenant_language(cogdb.current_tenant_id()),
                                coalesce(query, ''))
$$;

REVOKE ALL ON FUNCTION cogdb.text_query(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.text_query(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.text_query(text) IS
    'The tsquery hybrid search runs for a text: web-search syntax in the context tenant''s search.language.';
