-- The LangGraph store's vectors obey the rule every other vector column obeys
-- (cogdb.vector_usable, sql/functions/internal/vector_usable.sql): a direct INSERT or UPDATE
-- of a vector whose cosine distance pgvector cannot compute finitely fails with 23514 naming
-- store_vectors_embedding_check (store_put refuses it first with CGV01, naming the field).
-- Added NOT VALID and then validated, so the check of existing rows takes no lock that stops
-- reads or writes; a database holding such rows (written by plain SQL before this revision)
-- keeps the constraint unvalidated, so new rows are still checked, and says which to fix.
ALTER TABLE cogdb.store_vectors
    ADD CONSTRAINT store_vectors_embedding_check CHECK (cogdb.vector_usable(embedding)) NOT VALID;
DO $$
DECLARE
    v_bad bigint;
BEGIN
    SELECT count(*) INTO v_bad FROM cogdb.store_vectors WHERE NOT cogdb.vector_usable(embedding);
    IF v_bad = 0 THEN
        ALTER TABLE cogdb.store_vectors VALIDATE CONSTRAINT store_vectors_embedding_check;
    ELSE
        RAISE WARNING 'cogdb.store_vectors holds % vector(s) whose cosine distance cannot be computed; store_vectors_embedding_check stays NOT VALID', v_bad
            USING HINT = 'Delete or re-embed them (SELECT tenant_id, namespace, key FROM cogdb.store_vectors WHERE NOT cogdb.vector_usable(embedding)), then ALTER TABLE cogdb.store_vectors VALIDATE CONSTRAINT store_vectors_embedding_check.';
    END IF;
END
$$;
