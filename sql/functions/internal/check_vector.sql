-- Nothing for a usable vector (cogdb.vector_usable); otherwise raises invalid_input (CGV01)
-- naming `field`: NULL, a zero vector, or a norm outside what pgvector's single-precision
-- cosine can handle. Every path that stores or searches with a vector calls it (memories
-- through check_memory_row, search, hybrid_search, entities through check_entity_row, the
-- LangGraph store's store_put and store_search), so each refuses the same vectors.
CREATE OR REPLACE FUNCTION cogdb.check_vector(v public.vector, field text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_norm double precision;
BEGIN
    IF v IS NULL THEN
        RAISE EXCEPTION '% is required', field USING ERRCODE = 'CGV01', COLUMN = field,
              HINT = 'Pass the vector of the text, embedded with its model.';
    END IF;
    IF cogdb.vector_usable(v) THEN
        RETURN;
    END IF;
    v_norm := public.vector_norm(v);
    IF v_norm = 0 THEN
        RAISE EXCEPTION '% is a zero vector; cosine similarity is undefined for it', field
            USING ERRCODE = 'CGV01', COLUMN = field,
                  HINT = 'Check the embedder: a real embedding has a non-zero norm.';
    END IF;
    RAISE EXCEPTION '% has norm %; cosine similarity needs a norm between 1e-18 and 1e18',
                    field, v_norm
        USING ERRCODE = 'CGV01', COLUMN = field,
              HINT = 'pgvector computes cosine in single precision, where this vector''s '
                     'squares underflow or overflow. Normalise it (a real embedding has norm ~1).';
END
$$;

REVOKE ALL ON FUNCTION cogdb.check_vector(public.vector, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.check_vector(public.vector, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.check_vector(public.vector, text) IS
    'Raises CGV01 naming the field unless the vector is usable for cosine similarity (cogdb.vector_usable).';
