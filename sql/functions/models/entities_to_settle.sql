-- How many entities of a settling migration's from_model still have a current vector of
-- to_model in entity_embeddings (its digest is that of the entity's embedding now): what
-- settle_model_migration has left to move (revision 0033). An entity whose embedding
-- changed since (an upsert with an embedding of from_model) has no current vector and keeps
-- from_model, as a memory written with an explicit model after the cutover does. Counted in
-- each context that sees the entities (the tenant's, then each owner of private ones:
-- private_entity_owners); ends in the tenant's context. Invoker: called by the definer
-- settle_model_migration.
CREATE OR REPLACE FUNCTION cogdb.entities_to_settle(tenant_id uuid, from_model text,
                                                    to_model text)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_user uuid;
    v_step bigint;
    v_left bigint := 0;
BEGIN
    FOREACH v_user IN ARRAY array_prepend(NULL::uuid, cogdb.private_entity_owners(tenant_id))
    LOOP
        PERFORM cogdb.enter_tenant(tenant_id, v_user);
        SELECT count(*) INTO v_step
          FROM cogdb.entities n
         WHERE n.tenant_id = tenant_id AND n.model = from_model
           AND (CASE WHEN v_user IS NULL THEN n.visibility = 'tenant'
                     ELSE n.visibility = 'private' AND n.owner_user_id = v_user END)
           AND EXISTS (SELECT FROM cogdb.entity_embeddings e
                        WHERE e.tenant_id = tenant_id AND e.entity_id = n.id
                          AND e.model = to_model
                          AND e.source_digest = md5(n.embedding::text)::uuid
                       OFFSET 0);
        v_left := v_left + v_step;
    END LOOP;
    PERFORM cogdb.enter_tenant(tenant_id);
    RETURN v_left;
END
$$;

REVOKE ALL ON FUNCTION cogdb.entities_to_settle(uuid, text, text) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.entities_to_settle(uuid, text, text) IS
    'How many entities of a settling migration''s old model still have a current vector of the new one: what the settle has left to move.';
