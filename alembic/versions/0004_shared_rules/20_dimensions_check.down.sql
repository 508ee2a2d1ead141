ALTER TABLE cogdb.embedding_models DROP CONSTRAINT embedding_models_dimensions_check;
ALTER TABLE cogdb.embedding_models ADD CONSTRAINT embedding_models_dimensions_check
    CHECK (dimensions BETWEEN 1 AND 2000);
