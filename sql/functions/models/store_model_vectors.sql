-- One batch of a migration, one transaction: stores the to_model vectors of `ids` (one per
-- id, same order, checked against to_model's dimensions) ON CONFLICT DO NOTHING, so a batch
-- repeated after a crash changes nothing, and moves the migration's after_id to `after_id`
-- (never backwards) and its count. A memory anonymised meanwhile gets the fixed unit vector
-- anonymise_memories gives every anonymised memory; one forgotten meanwhile is skipped.
-- Returns how many vectors were stored. Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.store_model_vectors(tenant_id text, to_model text, ids text[],
                                                     embeddings public.vector[],
                                                     after_id text DEFAULT NULL)
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_row cogdb.model_migrations;
    v_saved text[];
    v_dims integer;
    v_n integer;
BEGIN
    v_row := cogdb.migration_in_progress(v_tenant, to_model);
    SELECT r.dimensions INTO v_dims FROM cogdb.resolve_model(to_model) r;
    PERFORM cogdb.check_model_vectors(ids, to_model, embeddings,
                                      'Embed with the model the migration goes to.');
    v_saved := cogdb.enter_tenant(v_tenant);
    EXECUTE format(
        'INSERT INTO cogdb.memory_embeddings (tenant_id, memory_id, model, embedding)'
        ' SELECT m.tenant_id, m.id, $1, CASE WHEN m.anonymised_at IS NULL THEN u.v'
        '        ELSE (''[1'' || repeat('',0'', $2 - 1) || '']'')::public.vector END'
        '   FROM unnest($3::text[], $4::public.vector[]) AS u(id, v)'
        '   JOIN cogdb.%I m ON m.tenant_id = %L::uuid AND m.id = u.id AND m.model = $5'
        ' ON CONFLICT (tenant_id, memory_id, model) DO NOTHING',
        cogdb.memories_partition(v_tenant), v_tenant)
        USING to_model, v_dims, ids, embeddings, v_row.from_model;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    UPDATE cogdb.model_migrations g
       SET after_id = greatest(g.after_id, coalesce(store_model_vectors.after_id, g.after_id)),
           embedded = g.embedded + v_n
     WHERE g.tenant_id = v_tenant AND g.id = v_row.id;
    PERFORM cogdb.restore_context(v_saved);
    RETURN v_n;
END
$$;

REVOKE ALL ON FUNCTION cogdb.store_model_vectors(text, text, text[], public.vector[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.store_model_vectors(text, text, text[], public.vector[], text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.store_model_vectors(text, text, text[], public.vector[], text) IS
    'One batch of a model migration: stores the new model''s vectors (ON CONFLICT DO NOTHING) and moves the keyset position, in one transaction.';
