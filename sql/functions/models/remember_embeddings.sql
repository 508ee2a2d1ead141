-- Stores the second vectors of memories the caller just wrote, while its tenant migrates to
-- `model` (cogdb.migration_target): the Python client calls it right after remember_many, in
-- the same transaction, so a memory written during a migration has both vectors at commit.
-- One vector per id, same order; each is checked (dimensions of `model`, a usable norm). A
-- vector already stored for a memory is kept (the migration's batch may have been first).
-- Returns how many were stored. Refuses (CGV01, COLUMN model) when no migration to `model`
-- is in progress: outside a migration the side table holds nothing new.
CREATE OR REPLACE FUNCTION cogdb.remember_embeddings(ids text[], model text,
                                                     embeddings public.vector[])
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.require_tenant('writing memories');
    v_n integer;
BEGIN
    IF NOT EXISTS (SELECT FROM cogdb.migration_target() t WHERE t.to_model = model) THEN
        RAISE EXCEPTION 'the tenant is not migrating to model %', coalesce(quote_literal(model), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'model',
                  HINT = 'Only a migration in progress (cogdb model migrate) takes a second vector.';
    END IF;
    PERFORM cogdb.check_model_vectors(ids, model, embeddings,
                                      'Embed with the model named.');
    INSERT INTO cogdb.memory_embeddings AS e (tenant_id, memory_id, model, embedding)
    SELECT v_tenant, u.id, model, u.v FROM unnest(ids, embeddings) AS u(id, v)
    ON CONFLICT ON CONSTRAINT memory_embeddings_pkey DO NOTHING;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

REVOKE ALL ON FUNCTION cogdb.remember_embeddings(text[], text, public.vector[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.remember_embeddings(text[], text, public.vector[]) TO cogdb_app;
COMMENT ON FUNCTION cogdb.remember_embeddings(text[], text, public.vector[]) IS
    'Stores the second vectors (model = the migration''s target) of memories just written, while the tenant migrates; returns how many.';
