-- The embedding model a call uses and its dimensions: `model` when given, else the context
-- tenant's default, else the deployment's (settings.default_model). Raises CGV02 for a
-- model that is not registered. The one rule for check_memory_row, search and the import.
CREATE OR REPLACE FUNCTION cogdb.resolve_model(model text, OUT name text, OUT dimensions integer)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    name := coalesce(resolve_model.model,
                     (SELECT coalesce(t.default_model, s.value #>> '{}')
                        FROM cogdb.tenants t LEFT JOIN cogdb.settings s ON s.key = 'default_model'
                       WHERE t.id = cogdb.current_tenant_id()));
    SELECT em.dimensions INTO dimensions FROM cogdb.embedding_models em WHERE em.name = resolve_model.name;
    IF dimensions IS NULL THEN
        RAISE EXCEPTION 'unknown embedding model %', coalesce(quote_literal(name), 'NULL')
            USING ERRCODE = 'CGV02', COLUMN = 'model',
                  HINT = 'List models with: SELECT name, dimensions FROM cogdb.embedding_models;';
    END IF;
END
$$;

REVOKE ALL ON FUNCTION cogdb.resolve_model(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.resolve_model(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.resolve_model(text) IS
    'The embedding model a call uses and its dimensions.';
