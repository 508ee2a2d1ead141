-- Whether a tenant's cutover to `to_model` only flips the default model and leaves the rows
-- to settle_model_migration (docs/scale-out.md "Re-embedding without downtime"): the tenant
-- has its own partition, and both indexes settle_index_steps names are valid (search reads
-- the side vectors and the new model's memories through them while the rows move).
-- Otherwise the cutover swaps the rows itself, in its transaction.
CREATE OR REPLACE FUNCTION cogdb.model_migration_settles(tenant_id uuid, to_model text)
    RETURNS boolean
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT cogdb.memories_partition(tenant_id) <> 'memories_default'
       AND coalesce((SELECT i.indisvalid FROM pg_index i
                      WHERE i.indexrelid = to_regclass(format('cogdb.%I',
                              cogdb.settle_index_name(tenant_id, to_model)))
                        AND i.indrelid = 'cogdb.memory_embeddings'::regclass), false)
       AND coalesce((SELECT i.indisvalid FROM pg_index i
                      WHERE i.indexrelid = to_regclass(format('cogdb.%I',
                              cogdb.ann_index_name(tenant_id, to_model)))
                        AND i.indrelid = to_regclass(format('cogdb.%I',
                              cogdb.partition_name(tenant_id)))), false)
$$;

REVOKE ALL ON FUNCTION cogdb.model_migration_settles(uuid, text) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.model_migration_settles(uuid, text) IS
    'Whether a tenant''s cutover only flips the default model (own partition, side and new-model indexes valid) and leaves the rows to settle.';
