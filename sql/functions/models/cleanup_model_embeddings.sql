-- One batch of `cogdb model cleanup`: deletes at most `batch` of the tenant's kept vectors of
-- `model` from memory_embeddings, then from entity_embeddings (after a cutover: the old
-- model's) and says whether to call
-- again (more). When none are left, the tenant's migrations away from `model` that were cut
-- over become phase cleaned, and `cogdb maintain` drops the old model's index once its
-- memories are gone. Refuses (CGC01) the vectors of a migration in progress to `model`
-- (settling included: search reads them until they have settled).
-- Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.cleanup_model_embeddings(tenant_id text, model text,
                                                          batch integer DEFAULT 1000)
    RETURNS TABLE (deleted integer, more boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_saved text[];
    v_n integer;
BEGIN
    IF batch IS NULL OR batch NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'batch must be between 1 and 100000, got %', coalesce(batch::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'batch',
                  HINT = 'How many vectors one transaction deletes; 1000 is a good start.';
    END IF;
    PERFORM cogdb.resolve_model(model);
    IF EXISTS (SELECT FROM cogdb.model_migrations g
                WHERE g.tenant_id = v_tenant AND g.to_model = model
                  AND g.phase IN ('embedding', 'indexed', 'settling')) THEN
        RAISE EXCEPTION 'tenant % is migrating to model %: its vectors are the migration''s work',
                        v_tenant, quote_literal(model)
            USING ERRCODE = 'CGC01', COLUMN = 'model',
                  HINT = 'Clean up the old model after the cutover: cogdb model cleanup --tenant T --model OLD';
    END IF;
    v_saved := cogdb.enter_tenant(v_tenant);
    DELETE FROM cogdb.memory_embeddings e
     WHERE e.tenant_id = v_tenant AND e.model = model
       AND e.memory_id IN (SELECT k.memory_id FROM cogdb.memory_embeddings k
                            WHERE k.tenant_id = v_tenant AND k.model = model
                            ORDER BY k.memory_id LIMIT batch);
    GET DIAGNOSTICS deleted = ROW_COUNT;
    IF deleted < batch THEN   -- the memories' are gone: the entities' next, in the same batch
        DELETE FROM cogdb.entity_embeddings e
         WHERE e.tenant_id = v_tenant AND e.model = model
           AND e.entity_id IN (SELECT k.entity_id FROM cogdb.entity_embeddings k
                                WHERE k.tenant_id = v_tenant AND k.model = model
                                ORDER BY k.entity_id LIMIT batch - deleted);
        GET DIAGNOSTICS v_n = ROW_COUNT;
        deleted := deleted + v_n;
    END IF;
    more := deleted = batch;
    IF NOT more THEN
        UPDATE cogdb.model_migrations g SET phase = 'cleaned', cleaned_at = now()
         WHERE g.tenant_id = v_tenant AND g.from_model = model AND g.phase = 'cut_over';
    END IF;
    IF deleted > 0 THEN
        PERFORM cogdb.audit_note('model.cleanup', jsonb_build_object('model', model,
                                                                     'deleted', deleted));
    END IF;
    PERFORM cogdb.restore_context(v_saved);
    RETURN NEXT;
END
$$;

REVOKE ALL ON FUNCTION cogdb.cleanup_model_embeddings(text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.cleanup_model_embeddings(text, text, integer) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.cleanup_model_embeddings(text, text, integer) IS
    'One batch of cogdb model cleanup: deletes at most batch kept vectors of a model for a tenant; more = call again.';
