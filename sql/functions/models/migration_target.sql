-- The migration in progress of the context's tenant, if any: (from_model, to_model). While
-- there is one, remember/remember_many also embed each new memory of from_model with
-- to_model and store that vector with cogdb.remember_embeddings, in the same transaction.
-- Definer: model_migrations is owner-only; this reads the context tenant's row and no other.
CREATE OR REPLACE FUNCTION cogdb.migration_target()
    RETURNS TABLE (from_model text, to_model text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT g.from_model, g.to_model FROM cogdb.model_migrations g
     WHERE g.tenant_id = cogdb.current_tenant_id() AND g.phase IN ('embedding', 'indexed')
$$;

REVOKE ALL ON FUNCTION cogdb.migration_target() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.migration_target() TO cogdb_app;
COMMENT ON FUNCTION cogdb.migration_target() IS
    'The model migration in progress of the context''s tenant, if any: (from_model, to_model).';
