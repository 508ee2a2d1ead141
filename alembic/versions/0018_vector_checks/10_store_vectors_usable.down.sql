-- store_vectors without its own vector check (store_put still refuses such vectors).
ALTER TABLE cogdb.store_vectors DROP CONSTRAINT store_vectors_embedding_check;
