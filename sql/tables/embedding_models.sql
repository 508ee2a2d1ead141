-- The registry of embedding models (global): each memory names the model of its embedding,
-- and validation checks the embedding's dimensions against it (at most
-- cogdb.max_dimensions(), which says why).
CREATE TABLE cogdb.embedding_models (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
    dimensions  integer NOT NULL CHECK (dimensions BETWEEN 1 AND cogdb.max_dimensions()),
    metric      text NOT NULL DEFAULT 'cosine' CHECK (metric IN ('cosine')),
    description text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- What produces the model's vectors from text: 'hash', 'sentence-transformers:<model>',
    -- or NULL when vectors come from elsewhere (register_model checks the form).
    embedder    text
);
GRANT SELECT ON cogdb.embedding_models TO cogdb_app, cogdb_admin;
COMMENT ON TABLE cogdb.embedding_models IS
    'The registry of embedding models: name, dimensions, metric and the embedder that makes their vectors.';
