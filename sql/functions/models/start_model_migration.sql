-- Starts re-embedding a tenant's memories with `to_model` (`cogdb model migrate`,
-- docs/scale-out.md), or returns the migration of the tenant to `to_model` already in
-- progress (a run that was killed resumes from its after_id; one that is settling resumes
-- settling). from_model is the tenant's
-- model now (resolve_model in its context); total counts its memories of that model.
-- Refuses: an unknown model (CGV02), the tenant's own model (CGV01), another migration of
-- the tenant in progress (CGC01), vectors of to_model left in memory_embeddings or
-- entity_embeddings by an earlier migration (CGC01: `cogdb model cleanup` removes them; they
-- may predate edits).
-- Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.start_model_migration(tenant_id text, to_model text)
    RETURNS SETOF cogdb.model_migrations
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_saved text[];
    v_from text;
    v_row cogdb.model_migrations;
    v_total bigint;
BEGIN
    PERFORM cogdb.resolve_model(to_model);
    v_saved := cogdb.enter_tenant(v_tenant);
    SELECT r.name INTO v_from FROM cogdb.resolve_model(NULL) r;
    EXECUTE format('SELECT count(*) FROM cogdb.%I m WHERE m.tenant_id = %L::uuid AND m.model = $1',
                   cogdb.memories_partition(v_tenant), v_tenant)
       INTO v_total USING v_from;
    SELECT g.* INTO v_row FROM cogdb.model_migrations g
     WHERE g.tenant_id = v_tenant AND g.phase IN ('embedding', 'indexed', 'settling') FOR UPDATE;
    IF FOUND AND v_row.to_model = to_model THEN
        UPDATE cogdb.model_migrations g SET total = v_total
         WHERE g.tenant_id = v_tenant AND g.id = v_row.id RETURNING g.* INTO v_row;
        PERFORM cogdb.restore_context(v_saved);
        RETURN NEXT v_row;
        RETURN;
    ELSIF FOUND THEN
        RAISE EXCEPTION 'tenant % is migrating to model % already', v_tenant, quote_literal(v_row.to_model)
            USING ERRCODE = 'CGC01', COLUMN = 'to_model',
                  HINT = 'Finish it first: cogdb model migrate --tenant ' || v_tenant || ' --to ' || v_row.to_model;
    END IF;
    IF v_from = to_model THEN
        RAISE EXCEPTION 'model % is the tenant''s model already', quote_literal(to_model)
            USING ERRCODE = 'CGV01', COLUMN = 'to_model',
                  HINT = '`cogdb tenant show` names the tenant''s default model; migrate to another one.';
    END IF;
    IF EXISTS (SELECT FROM cogdb.memory_embeddings e
                WHERE e.tenant_id = v_tenant AND e.model = to_model)
       OR EXISTS (SELECT FROM cogdb.entity_embeddings e
                   WHERE e.tenant_id = v_tenant AND e.model = to_model) THEN
        RAISE EXCEPTION 'vectors of model % from an earlier migration are still kept for tenant %',
                        quote_literal(to_model), v_tenant
            USING ERRCODE = 'CGC01', COLUMN = 'to_model',
                  HINT = 'Remove them first: cogdb model cleanup --tenant ' || v_tenant || ' --model ' || to_model;
    END IF;
    INSERT INTO cogdb.model_migrations AS g (tenant_id, from_model, to_model, total)
    VALUES (v_tenant, v_from, to_model, v_total) RETURNING g.* INTO v_row;
    PERFORM cogdb.audit_note('model.migrate', jsonb_build_object(
        'from_model', v_from, 'to_model', to_model, 'memories', v_total));
    PERFORM cogdb.restore_context(v_saved);
    RETURN NEXT v_row;
END
$$;

REVOKE ALL ON FUNCTION cogdb.start_model_migration(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.start_model_migration(text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.start_model_migration(text, text) IS
    'Starts re-embedding a tenant''s memories with to_model, or returns the migration to it already in progress (resume).';
