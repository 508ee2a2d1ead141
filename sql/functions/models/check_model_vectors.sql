-- Nothing when `embeddings` pair up one to one with `ids` and each is a usable vector of
-- `model`'s dimensions; otherwise raises invalid_input (CGV01, COLUMN embeddings) naming the
-- first bad one (its position, its dimensions against the model's, or check_vector's reason),
-- with `hint` for a wrong size. The second vectors of a model migration come from the client
-- (remember_embeddings) and from the migration's batches (store_model_vectors): both check
-- them here, the same way. Owner-only: both are definer functions.
CREATE OR REPLACE FUNCTION cogdb.check_model_vectors(ids text[], model text,
                                                     embeddings public.vector[], hint text)
    RETURNS void
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_dims integer;
    v_bad integer;
BEGIN
    SELECT r.dimensions INTO v_dims FROM cogdb.resolve_model(model) r;
    IF coalesce(cardinality(ids), 0) <> coalesce(cardinality(embeddings), 0) THEN
        RAISE EXCEPTION '% ids but % embeddings; they must pair up one to one',
                        coalesce(cardinality(ids), 0), coalesce(cardinality(embeddings), 0)
            USING ERRCODE = 'CGV01', COLUMN = 'embeddings';
    END IF;
    SELECT u.ord INTO v_bad FROM unnest(embeddings) WITH ORDINALITY AS u(v, ord)
     WHERE u.v IS NULL OR public.vector_dims(u.v) <> v_dims OR NOT cogdb.vector_usable(u.v)
     ORDER BY u.ord LIMIT 1;
    IF v_bad IS NOT NULL THEN
        IF embeddings[v_bad] IS NOT NULL AND public.vector_dims(embeddings[v_bad]) <> v_dims THEN
            RAISE EXCEPTION 'embedding #% has % dimensions; model % needs %', v_bad,
                            public.vector_dims(embeddings[v_bad]), quote_literal(model), v_dims
                USING ERRCODE = 'CGV01', COLUMN = 'embeddings', HINT = hint;
        END IF;
        PERFORM cogdb.check_vector(embeddings[v_bad], 'embeddings');
    END IF;
END
$$;
REVOKE ALL ON FUNCTION cogdb.check_model_vectors(text[], text, public.vector[], text) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.check_model_vectors(text[], text, public.vector[], text) IS
    'Refuses (CGV01, naming the first bad one) second vectors that do not pair up with their ids or are not usable vectors of the model.';
