-- Removes these observations (compared after trimming, as they are stored) from the entity a
-- reference names (entity:<id>, name:<name>, key:<system>:<external id>; an alias resolves to
-- its survivor), if the caller can see it; returns how many were removed. Observations the
-- entity does not have, and an entity that is missing or invisible, remove nothing (0), like
-- the MCP memory server's delete_observations.
-- SECURITY INVOKER: the app holds DELETE on entity_observations, under that table's policies
-- (entity_observations__tenant_fence and __visible_entity apply to DELETE as to SELECT), so
-- the rule of who may remove an observation is the same catalog entry as who may read it.
CREATE OR REPLACE FUNCTION cogdb.forget_observations(ref text, observations text[])
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.require_tenant('forgetting observations');
    v_kind text;
    v_id text;
    v_count integer;
BEGIN
    IF observations IS NULL THEN
        RAISE EXCEPTION 'observations must be a list of texts'
            USING ERRCODE = 'CGV01', COLUMN = 'observations',
                  HINT = 'e.g. ARRAY[''prefers email''] (an empty list removes nothing).';
    END IF;
    SELECT r.kind, r.id INTO v_kind, v_id FROM cogdb.resolve_node(ref, 'ref') r;
    IF v_kind IS DISTINCT FROM 'entity' THEN
        RETURN 0;
    END IF;
    DELETE FROM cogdb.entity_observations o
     WHERE o.tenant_id = v_tenant AND o.entity_id = v_id
       AND (o.digest, o.observation) IN (SELECT md5(btrim(x))::uuid, btrim(x)
                                           FROM unnest(observations) x WHERE x IS NOT NULL);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;

REVOKE ALL ON FUNCTION cogdb.forget_observations(text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.forget_observations(text, text[]) TO cogdb_app;
COMMENT ON FUNCTION cogdb.forget_observations(text, text[]) IS
    'Removes observations from an entity the caller can see; returns how many; missing ones are ignored.';
