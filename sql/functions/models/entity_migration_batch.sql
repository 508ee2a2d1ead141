-- The next page of a migration's entities: up to `batch` entities of the tenant whose
-- embedding is of the migration's from_model and that have no current vector of to_model
-- (none, or one made from an earlier embedding: entity_embeddings.source_digest differs),
-- with the text the embedder reads (the name, then the observations in the order they were
-- added, one per line: what upsert_entity(embed=True) embeds) and the digest of the
-- embedding it replaces, which the caller hands back to cogdb.store_entity_vectors. No keyset
-- position: what is stored drops out of the next page, so a killed run starts again and
-- skips it. FORCE RLS fences the owner too, so it reads the tenant-visible entities in the
-- tenant's context without a user, then the private ones of each of their owners
-- (private_entity_owners) in that owner's context. Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.entity_migration_batch(tenant_id text, to_model text,
                                                        batch integer DEFAULT 500)
    RETURNS TABLE (id text, content text, source_digest uuid)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_row cogdb.model_migrations;
    v_saved text[];
    v_user uuid;
    v_left integer := batch;
    v_n integer;
BEGIN
    IF batch IS NULL OR batch NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'batch must be between 1 and 100000, got %', coalesce(batch::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'batch',
                  HINT = 'How many entities one transaction embeds; 500 is a good start.';
    END IF;
    v_row := cogdb.migration_in_progress(v_tenant, to_model);
    v_saved := cogdb.enter_tenant(v_tenant);
    FOR v_user IN SELECT NULL::uuid UNION ALL SELECT unnest(cogdb.private_entity_owners(v_tenant))
    LOOP
        EXIT WHEN v_left <= 0;
        PERFORM cogdb.enter_tenant(v_tenant, v_user);
        RETURN QUERY
        SELECT n.id,
               concat_ws(E'\n', VARIADIC n.name || ARRAY(
                   SELECT o.observation FROM cogdb.entity_observations o
                    WHERE o.tenant_id = v_tenant AND o.entity_id = n.id
                    ORDER BY o.created_at, o.observation)),
               md5(n.embedding::text)::uuid
          FROM cogdb.entities n
         WHERE n.tenant_id = v_tenant AND n.model = v_row.from_model
           AND (CASE WHEN v_user IS NULL THEN n.visibility = 'tenant'
                     ELSE n.visibility = 'private' AND n.owner_user_id = v_user END)
           AND NOT EXISTS (SELECT FROM cogdb.entity_embeddings e
                            WHERE e.tenant_id = v_tenant AND e.entity_id = n.id
                              AND e.model = v_row.to_model
                              AND e.source_digest = md5(n.embedding::text)::uuid)
         ORDER BY n.id LIMIT v_left;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_left := v_left - v_n;
    END LOOP;
    PERFORM cogdb.restore_context(v_saved);
END
$$;

REVOKE ALL ON FUNCTION cogdb.entity_migration_batch(text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.entity_migration_batch(text, text, integer) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.entity_migration_batch(text, text, integer) IS
    'The next page of a model migration''s entities: those of the old model without a current vector of the new one, with the text to embed and the digest of the embedding it replaces.';
