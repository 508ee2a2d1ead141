-- The next keyset page of a migration: up to `batch` memories of the tenant's from_model,
-- with id after `after_id` (NULL: the migration's own after_id), ordered by id, that have no
-- vector of to_model yet, with the text the embedder reads (human_content, a newline,
-- assistant_content: what remember embeds). The caller embeds them and stores the vectors
-- with cogdb.store_model_vectors, which moves after_id in the same transaction. With
-- after_id '' it is the final pass: whatever is still missing, wherever it is. Reads the
-- tenant's partition as the owner (memories_partition), so private memories are included.
-- Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.model_migration_batch(tenant_id text, to_model text,
                                                       after_id text DEFAULT NULL,
                                                       batch integer DEFAULT 500)
    RETURNS TABLE (id text, content text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_row cogdb.model_migrations;
    v_saved text[];
BEGIN
    IF batch IS NULL OR batch NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'batch must be between 1 and 100000, got %', coalesce(batch::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'batch',
                  HINT = 'How many memories one transaction embeds; 500 is a good start.';
    END IF;
    v_row := cogdb.migration_in_progress(v_tenant, to_model);
    v_saved := cogdb.enter_tenant(v_tenant);
    RETURN QUERY EXECUTE format(
        'SELECT m.id, m.human_content || E''\n'' || m.assistant_content FROM cogdb.%I m'
        ' WHERE m.tenant_id = %L::uuid AND m.model = $1 AND m.id > $2'
        '   AND NOT EXISTS (SELECT FROM cogdb.memory_embeddings e WHERE e.tenant_id = %L::uuid'
        '                      AND e.memory_id = m.id AND e.model = $3)'
        ' ORDER BY m.id LIMIT $4',
        cogdb.memories_partition(v_tenant), v_tenant, v_tenant)
        USING v_row.from_model, coalesce(after_id, v_row.after_id), v_row.to_model, batch;
    PERFORM cogdb.restore_context(v_saved);
END
$$;

REVOKE ALL ON FUNCTION cogdb.model_migration_batch(text, text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.model_migration_batch(text, text, text, integer) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.model_migration_batch(text, text, text, integer) IS
    'The next keyset page of a model migration: memories of the old model without a vector of the new one, with the text to embed.';
