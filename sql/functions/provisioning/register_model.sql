-- Registers an embedding model (name, dimensions, metric) and returns its name. Idempotent
-- for the same definition; another dimension or metric under a known name conflicts.
-- `embedder` names what produces the model's vectors from text, for clients that embed
-- queries themselves ('hash' for the built-in hashing embedder, 'sentence-transformers:<model>'
-- for a local sentence-transformers model; NULL when vectors come from elsewhere); given
-- again, it and the description replace the stored ones.
-- Only cosine is supported: search reports cosine similarity. At most cogdb.max_dimensions()
-- dimensions. Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.register_model(name text, dimensions integer,
                                                metric text DEFAULT 'cosine',
                                                description text DEFAULT NULL,
                                                embedder text DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_existing cogdb.embedding_models;
BEGIN
    IF name IS NULL OR name !~ '^[a-z0-9][a-z0-9._-]{0,62}$' THEN
        RAISE EXCEPTION 'name must be 1-63 lowercase letters, digits and . _ - (got %)',
                        coalesce(quote_literal(left(name, 70)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'name',
                  HINT = 'e.g. all-minilm-l6-v2 or bge-m3.';
    END IF;
    IF dimensions IS NULL OR dimensions NOT BETWEEN 1 AND cogdb.max_dimensions() THEN
        RAISE EXCEPTION 'dimensions must be between 1 and %, got %', cogdb.max_dimensions(),
                        coalesce(dimensions::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'dimensions',
                  HINT = 'Use the length of the model''s output vectors.';
    END IF;
    IF metric IS DISTINCT FROM 'cosine' THEN
        RAISE EXCEPTION 'metric must be cosine, got %', coalesce(quote_literal(metric), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'metric',
                  HINT = 'Normalise vectors for inner-product models; cosine ranks them alike.';
    END IF;
    IF embedder IS NOT NULL AND embedder !~ '^[a-z][a-z0-9-]*(:[A-Za-z0-9._/-]{1,200})?$' THEN
        RAISE EXCEPTION 'embedder must look like kind or kind:model, got %', quote_literal(left(embedder, 80))
            USING ERRCODE = 'CGV01', COLUMN = 'embedder',
                  HINT = 'e.g. hash, or sentence-transformers:all-MiniLM-L6-v2';
    END IF;
    INSERT INTO cogdb.embedding_models AS m (name, dimensions, metric, description, embedder)
    VALUES (name, dimensions, metric, description, embedder)
    ON CONFLICT ON CONSTRAINT embedding_models_pkey DO NOTHING;
    SELECT * INTO v_existing FROM cogdb.embedding_models m WHERE m.name = register_model.name;
    IF v_existing.dimensions = dimensions AND v_existing.metric = metric
       AND (embedder IS NOT NULL OR description IS NOT NULL) THEN
        UPDATE cogdb.embedding_models m
           SET embedder = coalesce(register_model.embedder, m.embedder),
               description = coalesce(register_model.description, m.description)
         WHERE m.name = register_model.name;
    END IF;
    IF v_existing.dimensions <> dimensions OR v_existing.metric <> metric THEN
        RAISE EXCEPTION 'model % is already registered with % dimensions (%)',
                        quote_literal(name), v_existing.dimensions, v_existing.metric
            USING ERRCODE = 'CGC01', COLUMN = 'name',
                  HINT = 'A model name stands for one vector space: register a new name.';
    END IF;
    RETURN name;
END
$$;

REVOKE ALL ON FUNCTION cogdb.register_model(text, integer, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.register_model(text, integer, text, text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.register_model(text, integer, text, text, text) IS
    'Registers an embedding model (name, dimensions, metric) and returns its name.';
