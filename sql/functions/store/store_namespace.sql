-- A namespace's labels as stored: joined by '.'. Refuses (CGV01, column namespace) no
-- labels, a NULL or empty label, and a label containing '.' (LangGraph's rule, which is
-- what makes prefix search exact at label boundaries).
CREATE OR REPLACE FUNCTION cogdb.store_namespace(labels text[]) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF labels IS NULL OR cardinality(labels) = 0 THEN
        RAISE EXCEPTION 'a namespace needs at least one label'
            USING ERRCODE = 'CGV01', COLUMN = 'namespace',
                  HINT = 'e.g. ARRAY[''users'', ''alice'', ''memories'']';
    END IF;
    IF array_position(labels, NULL) IS NOT NULL
       OR EXISTS (SELECT FROM unnest(labels) l WHERE l = '' OR strpos(l, '.') > 0) THEN
        RAISE EXCEPTION 'namespace labels must be non-empty and contain no ''.'', got %',
                        left(array_to_string(labels, ', ', 'NULL'), 200)
            USING ERRCODE = 'CGV01', COLUMN = 'namespace',
                  HINT = 'Use other characters than ''.'' inside a label.';
    END IF;
    RETURN array_to_string(labels, '.');
END
$$;

REVOKE ALL ON FUNCTION cogdb.store_namespace(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.store_namespace(text[]) TO cogdb_app;
COMMENT ON FUNCTION cogdb.store_namespace(text[]) IS
    'A store namespace''s labels as stored (joined by ''.''); refuses empty namespaces and labels that are empty or contain ''.''.';
