-- The tenant's migration in progress (phase embedding or indexed) to `to_model`, locked FOR
-- UPDATE so batches, the cutover and a second `cogdb model migrate` of the same tenant take
-- turns; CGN01 naming to_model when there is none. The one check the migration's batch,
-- store, indexed and cutover functions share.
CREATE OR REPLACE FUNCTION cogdb.migration_in_progress(tenant_id uuid, to_model text)
    RETURNS cogdb.model_migrations
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_row cogdb.model_migrations;
BEGIN
    SELECT g.* INTO v_row FROM cogdb.model_migrations g
     WHERE g.tenant_id = tenant_id AND g.to_model = to_model
       AND g.phase IN ('embedding', 'indexed')
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'tenant % has no migration to model % in progress', tenant_id,
                        coalesce(quote_literal(to_model), 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'to_model',
                  HINT = 'Start one with `cogdb model migrate --tenant T --to MODEL`; `cogdb model migrations` lists them.';
    END IF;
    RETURN v_row;
END
$$;

REVOKE ALL ON FUNCTION cogdb.migration_in_progress(uuid, text) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.migration_in_progress(uuid, text) IS
    'The tenant''s migration in progress to to_model, locked FOR UPDATE; CGN01 when there is none.';
