-- cogdb revision 0018 (vector_checks): downgrade, written by `python -m tools.freeze 0018` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> step 10_store_vectors_usable.down.sql
-- store_vectors without its own vector check (store_put still refuses such vectors).
ALTER TABLE cogdb.store_vectors DROP CONSTRAINT store_vectors_embedding_check;
-- <<< step 10_store_vectors_usable.down.sql

RESET ROLE;
