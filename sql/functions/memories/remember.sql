-- Stores one memory and returns its id (server-made unless `fields` carries one).
-- `fields` takes the same keys as remember_many's objects (tags, visibility, source, …).
CREATE OR REPLACE FUNCTION cogdb.remember(human_content text, assistant_content text,
                                          embedding public.vector, fields jsonb DEFAULT '{}',
                                          model text DEFAULT NULL)
    RETURNS text
    LANGUAGE sql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r.id
      FROM cogdb.remember_many(
               jsonb_build_array(coalesce(fields, '{}')
                                 || jsonb_build_object('human_content', human_content,
                                                       'assistant_content', assistant_content)),
               ARRAY[embedding], model) AS r
$$;

REVOKE ALL ON FUNCTION cogdb.remember(text, text, vector, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.remember(text, text, vector, jsonb, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.remember(text, text, vector, jsonb, text) IS
    'Stores one memory and returns its id (server-made unless `fields` carries one).';
