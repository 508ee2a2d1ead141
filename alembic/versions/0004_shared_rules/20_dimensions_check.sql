-- The dimension limit of embedding_models from cogdb.max_dimensions(), as register_model uses.
ALTER TABLE cogdb.embedding_models DROP CONSTRAINT embedding_models_dimensions_check;
ALTER TABLE cogdb.embedding_models ADD CONSTRAINT embedding_models_dimensions_check
    CHECK (dimensions BETWEEN 1 AND cogdb.max_dimensions());
