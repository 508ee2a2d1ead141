-- The entity a reference names (entity:<id>, name:<name>, key:<system>:<external id>; an
-- alias resolves to its survivor), if the caller can see it; else no row, exactly as for a
-- missing one. With its observations (oldest first) and the keys of the entities merged into
-- it (aliases, as 'system:external_id', or the name for name-keyed ones).
CREATE OR REPLACE FUNCTION cogdb.get_entity(ref text)
    RETURNS TABLE (id text, system text, external_id text, entity_type text, name text,
                   data jsonb, visibility text, owner_user_id uuid, update_count bigint,
                   first_seen timestamptz, last_seen timestamptz, model text,
                   observations text[], aliases text[])
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT e.id, e.system, e.external_id, e.entity_type, e.name, e.data, e.visibility,
           e.owner_user_id, e.update_count, e.first_seen, e.last_seen, e.model,
           ARRAY(SELECT o.observation FROM cogdb.entity_observations o
                  WHERE o.entity_id = e.id ORDER BY o.created_at, o.observation),
           ARRAY(SELECT CASE WHEN a.system = '' THEN a.external_id
                             ELSE a.system || ':' || a.external_id END
                   FROM cogdb.entities a WHERE a.merged_into = e.id ORDER BY 1)
      FROM cogdb.resolve_node(ref, 'ref') r
      JOIN cogdb.entities e ON e.id = r.id
     WHERE r.kind = 'entity'
$$;

REVOKE ALL ON FUNCTION cogdb.get_entity(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.get_entity(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.get_entity(text) IS
    'The entity a reference names (aliases resolve to their survivor), with its observations and aliases, if the caller can see it.';
