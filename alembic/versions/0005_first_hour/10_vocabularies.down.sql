ALTER TABLE cogdb.embedding_models DROP COLUMN embedder;
