-- The ANN index a tenant's cutover to `to_model` has to build, or NULL when it builds none:
-- when the tenant's own partition has a valid index for from_model (search reads it today),
-- the index of to_model on that partition (ann_index_name) unless it exists and is valid
-- already. The cutover builds it inside its transaction, after the swap (one bulk build
-- instead of an HNSW insert per memory), so it commits together with the rows it serves and
-- search never reads the new model without its index.
CREATE OR REPLACE FUNCTION cogdb.migration_index_missing(tenant_id uuid, from_model text,
                                                         to_model text)
    RETURNS text
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT cogdb.ann_index_name(tenant_id, to_model)
     WHERE EXISTS (SELECT FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                    WHERE c.relname = cogdb.ann_index_name(tenant_id, from_model)
                      AND c.relnamespace = 'cogdb'::regnamespace AND i.indisvalid
                      AND i.indrelid = to_regclass(format('cogdb.%I', cogdb.partition_name(tenant_id))))
       AND NOT EXISTS (SELECT FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                        WHERE c.relname = cogdb.ann_index_name(tenant_id, to_model)
                          AND c.relnamespace = 'cogdb'::regnamespace AND i.indisvalid AND i.indisready
                          AND i.indrelid = to_regclass(format('cogdb.%I', cogdb.partition_name(tenant_id))))
$$;

REVOKE ALL ON FUNCTION cogdb.migration_index_missing(uuid, text, text) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.migration_index_missing(uuid, text, text) IS
    'The ANN index of the new model a tenant''s cutover has to build (its partition has one for the old model), or NULL.';
