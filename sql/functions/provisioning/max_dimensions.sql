-- The most dimensions an embedding model may have: 2000, what pgvector's HNSW indexes
-- accept for the vector type, and what keeps a row of text plus a vector (stored inline,
-- STORAGE PLAIN) within a page. The CHECK on embedding_models and register_model use it.
CREATE OR REPLACE FUNCTION cogdb.max_dimensions() RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
AS $$ SELECT 2000 $$;

REVOKE ALL ON FUNCTION cogdb.max_dimensions() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.max_dimensions() IS
    'The most dimensions an embedding model may have (2000: what pgvector''s HNSW indexes accept).';
