-- Stores the second vectors of entities the caller just upserted with an embedding of the
-- migration's from_model, while its tenant migrates to `model` (cogdb.migration_target): the
-- Python client calls it right after upsert_entity, in the same transaction, so an entity
-- embedded during a migration has both vectors at commit. One vector per id, same order;
-- each is checked (check_model_vectors). It replaces a vector stored earlier for the entity
-- (the new one is made from the entity's latest text) and records the digest of the
-- entity's embedding now (entity_embeddings.source_digest). An entity whose embedding is not
-- of the migration's from_model is skipped. Returns how many were stored.
--
-- The app's only way to write cogdb.entity_embeddings (it has SELECT there): the cutover
-- makes these vectors the entities' own, so a second vector may only be given for an entity
-- the context user may change, which for entities is one it sees (entities__visible_to_user
-- is the one permissive policy, for every command): tenant-visible ones, and its own private
-- ones. Refuses (42501, naming the first id) any other id, and any id that is not an entity
-- of the context's tenant; (CGV01, COLUMN model) when no migration to `model` is in progress.
-- Definer: entity_embeddings is written by definers only; it reads the entities as the
-- context's user, so their policies decide what it may change.
CREATE OR REPLACE FUNCTION cogdb.remember_entity_embeddings(ids text[], model text,
                                                            embeddings public.vector[])
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.require_tenant('writing entities');
    v_from text;
    v_refused text;
    v_n integer;
BEGIN
    SELECT t.from_model INTO v_from FROM cogdb.migration_target() t WHERE t.to_model = model;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the tenant is not migrating to model %', coalesce(quote_literal(model), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'model',
                  HINT = 'Only a migration in progress (cogdb model migrate) takes a second vector.';
    END IF;
    PERFORM cogdb.check_model_vectors(ids, model, embeddings, 'Embed with the model named.');
    -- The first id that is not an entity this user sees (and so may change): refused.
    SELECT u.id INTO v_refused FROM unnest(ids) WITH ORDINALITY AS u(id, ord)
     WHERE NOT EXISTS (SELECT FROM cogdb.entities n WHERE n.tenant_id = v_tenant AND n.id = u.id)
     ORDER BY u.ord LIMIT 1;
    IF v_refused IS NOT NULL THEN
        RAISE EXCEPTION 'entity % is not one whose embedding this user may change', quote_literal(v_refused)
            USING ERRCODE = '42501', COLUMN = 'ids',
                  HINT = 'A second vector is for an entity the context user just upserted: a tenant-visible one, or their own private one.';
    END IF;
    -- An id given twice: its last vector.
    INSERT INTO cogdb.entity_embeddings AS e (tenant_id, entity_id, model, embedding, source_digest)
    SELECT DISTINCT ON (n.id) v_tenant, n.id, model, u.v, md5(n.embedding::text)::uuid
      FROM unnest(ids, embeddings) WITH ORDINALITY AS u(id, v, ord)
      JOIN cogdb.entities n ON n.tenant_id = v_tenant AND n.id = u.id AND n.model = v_from
     ORDER BY n.id, u.ord DESC
    ON CONFLICT ON CONSTRAINT entity_embeddings_pkey
    DO UPDATE SET embedding = EXCLUDED.embedding, source_digest = EXCLUDED.source_digest,
                  embedded_at = EXCLUDED.embedded_at;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

REVOKE ALL ON FUNCTION cogdb.remember_entity_embeddings(text[], text, public.vector[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.remember_entity_embeddings(text[], text, public.vector[]) TO cogdb_app;
COMMENT ON FUNCTION cogdb.remember_entity_embeddings(text[], text, public.vector[]) IS
    'Stores the second vectors (model = the migration''s target) of entities the context user may change, while the tenant migrates; returns how many.';
