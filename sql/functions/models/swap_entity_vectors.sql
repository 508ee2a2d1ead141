-- The entities' half of a model migration's swap, for the cutover (all the entities it
-- locked) and, since revision 0033, the settle (one batch): each entity of `ids` that is of
-- from_model keeps its old vector in entity_embeddings (with the digest of the embedding it
-- gives way to, so a migration back can use it) and takes its vector of to_model. An entity
-- is visible to the owner per user (entities__visible_to_user), so it runs in each context of
-- `contexts` in turn: NULL for the tenant-visible entities (the tenant's context without a
-- user), an owner's id for that owner's private ones; it ends in the tenant's context. The
-- ids are kept to with a filter, `(… = ANY (ids)) IS TRUE`, not an index condition, and each
-- entity's new vector is a primary-key probe of the side table (a sub-select per row, OFFSET
-- 0), never a join: with one row estimated for the tenant's entities (no statistics on
-- tenant_id), the planner ran the list as the index condition of a primary-key probe
-- repeated for every new vector (revision 0032), and joined a batch to every side row left
-- in a nested loop (the review of 0033): both quadratic. Returns how many entities it switched;
-- the caller compares that with what it locked and deletes the side rows of to_model.
-- Invoker: called by the definers cut_over_model_migration and settle_model_migration.
CREATE OR REPLACE FUNCTION cogdb.swap_entity_vectors(tenant_id uuid, from_model text,
                                                     to_model text, ids text[],
                                                     contexts uuid[])
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_user uuid;
    v_step bigint;
    v_swapped bigint := 0;
BEGIN
    FOREACH v_user IN ARRAY contexts LOOP
        PERFORM cogdb.enter_tenant(tenant_id, v_user);
        INSERT INTO cogdb.entity_embeddings AS k (tenant_id, entity_id, model, embedding,
                                                  source_digest)
        SELECT n.tenant_id, n.id, n.model, n.embedding, e.digest
          FROM cogdb.entities n
         CROSS JOIN LATERAL (SELECT md5(e.embedding::text)::uuid AS digest
                               FROM cogdb.entity_embeddings e
                              WHERE e.tenant_id = tenant_id AND e.entity_id = n.id
                                AND e.model = to_model
                             OFFSET 0) e
         WHERE n.tenant_id = tenant_id AND n.model = from_model
           AND (CASE WHEN v_user IS NULL THEN n.visibility = 'tenant'
                     ELSE n.visibility = 'private' AND n.owner_user_id = v_user END)
           AND (n.id = ANY (ids)) IS TRUE
        ON CONFLICT ON CONSTRAINT entity_embeddings_pkey
        DO UPDATE SET embedding = EXCLUDED.embedding, source_digest = EXCLUDED.source_digest,
                      embedded_at = EXCLUDED.embedded_at;
        UPDATE cogdb.entities n
           SET model = to_model,
               embedding = (SELECT e.embedding FROM cogdb.entity_embeddings e
                             WHERE e.tenant_id = tenant_id AND e.entity_id = n.id
                               AND e.model = to_model)
         WHERE n.tenant_id = tenant_id AND n.model = from_model
           AND (CASE WHEN v_user IS NULL THEN n.visibility = 'tenant'
                     ELSE n.visibility = 'private' AND n.owner_user_id = v_user END)
           AND (n.id = ANY (ids)) IS TRUE
           AND EXISTS (SELECT FROM cogdb.entity_embeddings e
                        WHERE e.tenant_id = tenant_id AND e.entity_id = n.id
                          AND e.model = to_model
                       OFFSET 0);
        GET DIAGNOSTICS v_step = ROW_COUNT;
        v_swapped := v_swapped + v_step;
    END LOOP;
    PERFORM cogdb.enter_tenant(tenant_id);
    RETURN v_swapped;
END
$$;

REVOKE ALL ON FUNCTION cogdb.swap_entity_vectors(uuid, text, text, text[], uuid[]) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.swap_entity_vectors(uuid, text, text, text[], uuid[]) IS
    'A model migration''s swap of the given entities'' vectors, in each context that sees them: the old vectors kept, the new ones taken; returns how many switched.';
