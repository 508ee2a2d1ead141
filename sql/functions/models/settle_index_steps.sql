-- The index statements a tenant's migration to `to_model` needs before its cutover can only
-- flip the default model (docs/scale-out.md "Re-embedding without downtime"), in order, each
-- one statement to run in autocommit as cogdb_owner (`cogdb model migrate` runs them, as
-- `cogdb maintain` runs its plan): for a tenant whose own partition has a valid ANN index of
-- from_model (migration_index_missing: search reads it today), the HNSW index over the
-- tenant's side vectors of to_model (settle_index_name, partial on the tenant and the model)
-- and the index of to_model on the tenant's partition (ann_index_name: empty until rows
-- settle into it), both CONCURRENTLY, so neither blocks the tenant's writes. An index left
-- invalid by an interrupted build is dropped first. No rows: nothing to build (a tenant in
-- memories_default, or without an ANN index: its cutover swaps the rows itself), or both are
-- valid. Reads the catalog and the registry only; the migration itself is checked by
-- the cutover (model_migration_settles). Definer for cogdb_admin (model_migrations is
-- owner-only).
CREATE OR REPLACE FUNCTION cogdb.settle_index_steps(tenant_id text, to_model text)
    RETURNS TABLE (index_name text, statement text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_from text;
    v_dims integer;
    v_side text := cogdb.settle_index_name(v_tenant, to_model);
    v_main text := cogdb.ann_index_name(v_tenant, to_model);
    v_valid boolean;
BEGIN
    SELECT g.from_model INTO v_from FROM cogdb.model_migrations g
     WHERE g.tenant_id = v_tenant AND g.to_model = to_model
       AND g.phase IN ('embedding', 'indexed');
    SELECT m.dimensions INTO v_dims FROM cogdb.embedding_models m WHERE m.name = to_model;
    IF v_from IS NULL OR v_dims IS NULL
       OR NOT EXISTS (SELECT FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                       WHERE c.relname = cogdb.ann_index_name(v_tenant, v_from)
                         AND c.relnamespace = 'cogdb'::regnamespace AND i.indisvalid
                         AND i.indrelid = to_regclass(format('cogdb.%I',
                                                             cogdb.partition_name(v_tenant)))) THEN
        RETURN;
    END IF;
    SELECT i.indisvalid INTO v_valid FROM pg_index i
     WHERE i.indexrelid = to_regclass(format('cogdb.%I', v_side));
    IF v_valid IS FALSE THEN
        index_name := v_side;
        statement := format('DROP INDEX CONCURRENTLY IF EXISTS cogdb.%I', v_side);
        RETURN NEXT;
    END IF;
    IF v_valid IS NOT TRUE THEN
        index_name := v_side;
        statement := format('CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON cogdb.memory_embeddings'
                            ' USING hnsw ((embedding::public.vector(%s)) public.vector_cosine_ops)'
                            ' WITH (m = %s, ef_construction = %s)'
                            ' WHERE tenant_id = %L::uuid AND model = %L',
                            v_side, v_dims, cogdb.int_setting('search.hnsw_m'),
                            cogdb.int_setting('search.hnsw_ef_construction'), v_tenant, to_model);
        RETURN NEXT;
    END IF;
    v_valid := NULL;
    SELECT i.indisvalid INTO v_valid FROM pg_index i
     WHERE i.indexrelid = to_regclass(format('cogdb.%I', v_main));
    IF v_valid IS FALSE THEN
        index_name := v_main;
        statement := format('DROP INDEX CONCURRENTLY IF EXISTS cogdb.%I', v_main);
        RETURN NEXT;
    END IF;
    IF v_valid IS NOT TRUE THEN
        index_name := v_main;
        statement := cogdb.ann_index_statement(v_tenant, to_model, true);
        RETURN NEXT;
    END IF;
END
$$;

REVOKE ALL ON FUNCTION cogdb.settle_index_steps(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.settle_index_steps(text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.settle_index_steps(text, text) IS
    'The CONCURRENTLY index statements (side vectors, new model on the partition) a promoted tenant''s migration needs so its cutover only flips the default model.';
