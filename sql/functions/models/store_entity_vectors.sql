-- One batch of a migration's entities, one transaction: stores the to_model vectors of
-- `ids` (one per id, same order, checked against to_model's dimensions: check_model_vectors)
-- with the digests entity_migration_batch gave (`source_digests`: of the embedding each
-- vector replaces). A row already there is replaced only when its digest differs (it was made
-- from an earlier embedding), so a batch repeated after a crash changes nothing. An entity
-- whose embedding changed since the batch read it keeps a stale digest: the cutover counts it
-- as missing and the final pass embeds it again. Returns how many vectors were stored.
-- Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.store_entity_vectors(tenant_id text, to_model text, ids text[],
                                                      embeddings public.vector[],
                                                      source_digests uuid[])
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
    v_n integer;
BEGIN
    v_row := cogdb.migration_in_progress(v_tenant, to_model);
    PERFORM cogdb.check_model_vectors(ids, to_model, embeddings,
                                      'Embed with the model the migration goes to.');
    IF coalesce(cardinality(source_digests), 0) <> coalesce(cardinality(ids), 0)
       OR array_position(source_digests, NULL) IS NOT NULL THEN
        RAISE EXCEPTION '% ids but % digests; each id needs the digest entity_migration_batch gave',
                        coalesce(cardinality(ids), 0), coalesce(cardinality(source_digests), 0)
            USING ERRCODE = 'CGV01', COLUMN = 'source_digests';
    END IF;
    v_saved := cogdb.enter_tenant(v_tenant);
    -- The foreign key refuses an id that is no entity of the tenant (23503).
    INSERT INTO cogdb.entity_embeddings AS e (tenant_id, entity_id, model, embedding, source_digest)
    SELECT DISTINCT ON (u.id) v_tenant, u.id, to_model, u.v, u.d   -- an id twice: its last
      FROM unnest(ids, embeddings, source_digests) WITH ORDINALITY AS u(id, v, d, ord)
     ORDER BY u.id, u.ord DESC
    ON CONFLICT ON CONSTRAINT entity_embeddings_pkey
    DO UPDATE SET embedding = EXCLUDED.embedding, source_digest = EXCLUDED.source_digest,
                  embedded_at = EXCLUDED.embedded_at
     WHERE e.source_digest <> EXCLUDED.source_digest;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    PERFORM cogdb.restore_context(v_saved);
    RETURN v_n;
END
$$;

REVOKE ALL ON FUNCTION cogdb.store_entity_vectors(text, text, text[], public.vector[], uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.store_entity_vectors(text, text, text[], public.vector[], uuid[]) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.store_entity_vectors(text, text, text[], public.vector[], uuid[]) IS
    'One batch of a model migration''s entities: stores the new model''s vectors with the digest of the embedding each replaces.';
