-- Moves a migration from phase embedding to indexed: every memory of the old model has its
-- new vector (the batch pass ended), and the ANN index the tenant needs for the new model is
-- settled: valid already, or planned for the cutover, which builds it in its own transaction
-- (migration_index_missing). Returns the migration with index_to_build, the name of that
-- index (NULL: none needed). `cogdb model migrate` calls it after the batches. Definer for
-- cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.model_migration_indexed(tenant_id text, to_model text)
    RETURNS TABLE (phase text, embedded bigint, total bigint, index_to_build text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_row cogdb.model_migrations := cogdb.migration_in_progress(v_tenant, to_model);
BEGIN
    UPDATE cogdb.model_migrations g SET phase = 'indexed'
     WHERE g.tenant_id = v_tenant AND g.id = v_row.id RETURNING g.* INTO v_row;
    RETURN QUERY SELECT v_row.phase, v_row.embedded, v_row.total,
                        cogdb.migration_index_missing(v_tenant, v_row.from_model, to_model);
END
$$;

REVOKE ALL ON FUNCTION cogdb.model_migration_indexed(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.model_migration_indexed(text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.model_migration_indexed(text, text) IS
    'Moves a model migration to phase indexed (every memory embedded) and names the ANN index its cutover will build, if any.';
