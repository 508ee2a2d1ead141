-- The CREATE INDEX statement of one tenant's HNSW index for one model (ann_index_name) on the
-- tenant's partition, over full-precision vectors cast to the model's dimensions, partial on
-- the model, with the deployment's search.hnsw_m and search.hnsw_ef_construction. The one
-- definition for `cogdb maintain` (plan_maintenance: CONCURRENTLY IF NOT EXISTS, in
-- autocommit) and a model migration's cutover (cut_over_model_migration: plain, inside its
-- transaction, so the index commits with the rows it serves). NULL for an unknown model.
CREATE OR REPLACE FUNCTION cogdb.ann_index_statement(tenant_id uuid, model text,
                                                     concurrently boolean)
    RETURNS text
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT format('CREATE INDEX %s%I ON cogdb.%I'
                  ' USING hnsw ((embedding::public.vector(%s)) public.vector_cosine_ops)'
                  ' WITH (m = %s, ef_construction = %s) WHERE model = %L',
                  CASE WHEN ann_index_statement.concurrently THEN 'CONCURRENTLY IF NOT EXISTS '
                       ELSE '' END,
                  cogdb.ann_index_name(ann_index_statement.tenant_id, ann_index_statement.model),
                  cogdb.partition_name(ann_index_statement.tenant_id), m.dimensions,
                  cogdb.int_setting('search.hnsw_m'),
                  cogdb.int_setting('search.hnsw_ef_construction'), ann_index_statement.model)
      FROM cogdb.embedding_models m WHERE m.name = ann_index_statement.model
$$;

REVOKE ALL ON FUNCTION cogdb.ann_index_statement(uuid, text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.ann_index_statement(uuid, text, boolean) IS
    'The CREATE INDEX statement of one tenant''s HNSW index for one model on its partition (maintain: concurrently; a migration''s cutover: in its transaction).';
