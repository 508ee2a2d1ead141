-- The registered embedding models: name, dimensions, metric, the embedder that makes their
-- vectors from text, and description. What `cogdb model list` prints.
CREATE OR REPLACE FUNCTION cogdb.list_models()
    RETURNS TABLE (name text, dimensions integer, metric text, embedder text,
                   description text, created_at timestamptz)
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT m.name, m.dimensions, m.metric, m.embedder, m.description, m.created_at
      FROM cogdb.embedding_models m ORDER BY m.created_at, m.name
$$;

REVOKE ALL ON FUNCTION cogdb.list_models() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_models() TO cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.list_models() IS
    'The registered embedding models with their dimensions, metric and embedder.';
