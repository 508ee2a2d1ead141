-- The shared half of get_entity(ref, include_shared => true): when the context's own tenant
-- has no entity of the key a reference names (entity:<id>, name:<name>, key:<system>:<external
-- id>), the entities of that key that live grants share with the context, one per source
-- tenant (tenant_id says which; an alias resolves to its survivor in the source, shown only if
-- a grant covers the survivor too), with the observations and aliases the grants cover, each
-- noted in its source's audit chain (note_shared_read: a count, never the id). The request
-- lasts for this call only (share_request(true), then share_request(false)). Every statement
-- names its tenants (docs/conventions.md rule 3). The app may call it: it shows exactly what
-- get_entity(ref, true) shows.
CREATE OR REPLACE FUNCTION cogdb.get_shared_entity(ref text)
    RETURNS TABLE (id text, system text, external_id text, entity_type text, name text,
                   data jsonb, visibility text, owner_user_id uuid, update_count bigint,
                   first_seen timestamptz, last_seen timestamptz, model text,
                   observations text[], aliases text[], tenant_id uuid)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
    v_kind text;
    v_prefix text;
    v_rest text;
    v_entity text;
    v_sources uuid[];
    v_found uuid[];
    v_ids text[];
    v_source uuid;
BEGIN
    -- resolve_node checks the reference (CGV01): an own entity of the key comes first.
    SELECT r.kind INTO v_kind FROM cogdb.resolve_node(ref, 'ref') r;
    IF v_tenant IS NULL THEN
        RETURN;
    END IF;
    v_prefix := split_part(ref, ':', 1);
    IF v_prefix = 'memory' OR v_kind IS NOT NULL THEN
        RETURN;
    END IF;
    v_rest := substr(ref, length(v_prefix) + 2);
    v_entity := CASE v_prefix
        WHEN 'entity' THEN v_rest
        WHEN 'name' THEN cogdb.entity_id_for('', v_rest)
        ELSE cogdb.entity_id_for(split_part(v_rest, ':', 1),
                                 substr(v_rest, length(split_part(v_rest, ':', 1)) + 2)) END;
    v_sources := cogdb.share_request(true);
    IF cardinality(v_sources) = 0 THEN
        PERFORM cogdb.share_request(false);
        RETURN;
    END IF;
    -- Each source's survivor of the key, where the grants cover both the key's entity and
    -- its survivor (the fence reads both).
    SELECT coalesce(array_agg(e.tenant_id ORDER BY e.tenant_id), '{}'),
           coalesce(array_agg(coalesce(e.merged_into, e.id) ORDER BY e.tenant_id), '{}')
      INTO v_found, v_ids
      FROM cogdb.entities e
     WHERE e.tenant_id = ANY (v_sources) AND e.id = v_entity
       AND EXISTS (SELECT FROM cogdb.entities s
                    WHERE s.tenant_id = e.tenant_id AND s.id = coalesce(e.merged_into, e.id));
    IF cardinality(v_found) = 0 THEN
        PERFORM cogdb.share_request(false);
        RETURN;
    END IF;
    RETURN QUERY
    SELECT e.id, e.system, e.external_id, e.entity_type, e.name, e.data, e.visibility,
           e.owner_user_id, e.update_count, e.first_seen, e.last_seen, e.model,
           ARRAY(SELECT o.observation FROM cogdb.entity_observations o
                  WHERE o.tenant_id = e.tenant_id AND o.entity_id = e.id
                  ORDER BY o.created_at, o.observation),
           ARRAY(SELECT CASE WHEN a.system = '' THEN a.external_id
                             ELSE a.system || ':' || a.external_id END
                   FROM cogdb.entities a
                  WHERE a.tenant_id = e.tenant_id AND a.merged_into = e.id ORDER BY 1),
           e.tenant_id
      FROM unnest(v_found, v_ids) AS f(tenant_id, id)
      JOIN cogdb.entities e ON e.tenant_id = f.tenant_id AND e.id = f.id
     ORDER BY e.tenant_id;
    FOREACH v_source IN ARRAY v_found LOOP
        PERFORM cogdb.note_shared_read(v_source, 'get_entity', 0, 1);
    END LOOP;
    PERFORM cogdb.share_request(false);
END
$$;

REVOKE ALL ON FUNCTION cogdb.get_shared_entity(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.get_shared_entity(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.get_shared_entity(text) IS
    'The entities of a key that live grants share with the caller (when its own tenant has none), with the observations and aliases the grants cover, labelled with their tenant and noted in the source''s audit chain: get_entity(ref, include_shared => true)''s shared half.';
