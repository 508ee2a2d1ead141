-- Moves a migration from phase embedding to indexed once the new model's ANN index the
-- cutover needs is in place (migration_index_missing), or refuses with CGM01 naming it.
-- `cogdb model migrate` calls it after building the index. Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.model_migration_indexed(tenant_id text, to_model text)
    RETURNS SETOF cogdb.model_migrations
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_row cogdb.model_migrations := cogdb.migration_in_progress(v_tenant, to_model);
    v_index text := cogdb.migration_index_missing(v_tenant, v_row.from_model, to_model);
BEGIN
    IF v_index IS NOT NULL THEN
        RAISE EXCEPTION 'the ANN index % of model % on the tenant''s partition is missing or invalid',
                        v_index, quote_literal(to_model)
            USING ERRCODE = 'CGM01', COLUMN = 'to_model',
                  HINT = 'Run `cogdb maintain` (it builds the index of a migration in progress), then try again.';
    END IF;
    RETURN QUERY UPDATE cogdb.model_migrations g SET phase = 'indexed'
                  WHERE g.tenant_id = v_tenant AND g.id = v_row.id RETURNING g.*;
END
$$;

REVOKE ALL ON FUNCTION cogdb.model_migration_indexed(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.model_migration_indexed(text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.model_migration_indexed(text, text) IS
    'Moves a model migration to phase indexed once the new model''s ANN index the cutover needs is valid; CGM01 otherwise.';
