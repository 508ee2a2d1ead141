-- The entity a reference names (entity:<id>, name:<name>, key:<system>:<external id>; an
-- alias resolves to its survivor), if the caller can see it; else no row, exactly as for a
-- missing one. With its observations (oldest first), the keys of the entities merged into
-- it (aliases, as 'system:external_id', or the name for name-keyed ones), and tenant_id, the
-- tenant it lives in.
-- include_shared => true: when the context's own tenant has no such entity, the entities of
-- that key that live grants share with the context (get_shared_entity: labelled, noted in
-- each source's audit chain). The own lookup is one SQL statement, as before revision 0022;
-- the shared half runs only when asked and the own tenant has nothing.
CREATE OR REPLACE FUNCTION cogdb.get_entity(ref text, include_shared boolean DEFAULT false)
    RETURNS TABLE (id text, system text, external_id text, entity_type text, name text,
                   data jsonb, visibility text, owner_user_id uuid, update_count bigint,
                   first_seen timestamptz, last_seen timestamptz, model text,
                   observations text[], aliases text[], tenant_id uuid)
    LANGUAGE sql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH own AS MATERIALIZED (
        SELECT e.id, e.system, e.external_id, e.entity_type, e.name, e.data, e.visibility,
               e.owner_user_id, e.update_count, e.first_seen, e.last_seen, e.model,
               ARRAY(SELECT o.observation FROM cogdb.entity_observations o
                      WHERE o.tenant_id = e.tenant_id AND o.entity_id = e.id
                      ORDER BY o.created_at, o.observation) AS observations,
               ARRAY(SELECT CASE WHEN a.system = '' THEN a.external_id
                                 ELSE a.system || ':' || a.external_id END
                       FROM cogdb.entities a
                      WHERE a.tenant_id = e.tenant_id AND a.merged_into = e.id
                      ORDER BY 1) AS aliases,
               e.tenant_id
          FROM cogdb.entities e
         -- The resolved id as a value (an InitPlan), so the lookup probes the primary key:
         -- joined to the function scan, the planner read the tenant's entities and filtered.
         WHERE e.tenant_id = cogdb.current_tenant_id()
           AND e.id = (SELECT r.id FROM cogdb.resolve_node(ref, 'ref') r WHERE r.kind = 'entity')
    )
    SELECT * FROM own
    UNION ALL
    SELECT s.* FROM cogdb.get_shared_entity(ref) s
     WHERE include_shared IS TRUE AND NOT EXISTS (SELECT FROM own)
$$;

REVOKE ALL ON FUNCTION cogdb.get_entity(text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.get_entity(text, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.get_entity(text, boolean) IS
    'The entity a reference names (aliases resolve to their survivor), with its observations, aliases and tenant, if the caller can see it; include_shared adds the entities of that key that live grants share with the caller.';
