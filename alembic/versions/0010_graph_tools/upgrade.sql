-- cogdb revision 0010 (graph_tools): written by `python -m tools.freeze 0010` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> step 10_observation_deletes.sql
-- The app may delete observations: the table's policies (entity_observations__tenant_fence,
-- entity_observations__visible_entity) are FOR ALL, so a DELETE reaches exactly the rows a
-- SELECT would (cogdb.forget_observations).
GRANT DELETE ON cogdb.entity_observations TO cogdb_app;
-- <<< step 10_observation_deletes.sql

-- >>> sql/functions/knowledge/list_entities.sql
-- The name-keyed entities (system '') the caller can see, in name order (by their key, the
-- name a name:<name> reference resolves; COLLATE "C", so pages are stable whatever the
-- database's collation), with type and observations (oldest first): a page of at most
-- max_rows (1-1000) after the name `after` (NULL: from the start). `containing` keeps the
-- entities whose name, type or any observation contains that text, ignoring case (the MCP
-- memory server's search_nodes). Aliases (entities merged into another) are left out: their
-- survivor is listed. Reads only; no context, no rows.
-- The MCP server's read_graph pages through this; an entity key index is not needed while a
-- tenant's name-keyed entities fit a sort (every page sorts them).
CREATE OR REPLACE FUNCTION cogdb.list_entities(after text DEFAULT NULL,
                                               max_rows integer DEFAULT 100,
                                               containing text DEFAULT NULL)
    RETURNS TABLE (id text, external_id text, name text, entity_type text,
                   observations text[], visibility text, owner_user_id uuid,
                   update_count bigint, first_seen timestamptz, last_seen timestamptz)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_needle constant text := lower(nullif(containing, ''));
BEGIN
    IF max_rows IS NULL OR max_rows NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'max_rows must be between 1 and 1000, got %', coalesce(max_rows::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'max_rows',
                  HINT = 'Page on with after => the last name of the previous page.';
    END IF;
    RETURN QUERY
    SELECT e.id, e.external_id, e.name, e.entity_type,
           ARRAY(SELECT o.observation FROM cogdb.entity_observations o
                  WHERE o.tenant_id = e.tenant_id AND o.entity_id = e.id
                  ORDER BY o.created_at, o.observation),
           e.visibility, e.owner_user_id, e.update_count, e.first_seen, e.last_seen
      FROM cogdb.entities e
     WHERE e.tenant_id = cogdb.current_tenant_id() AND e.system = '' AND e.merged_into IS NULL
       AND (after IS NULL OR e.external_id COLLATE "C" > after COLLATE "C")
       AND (v_needle IS NULL
            OR strpos(lower(e.external_id), v_needle) > 0
            OR strpos(lower(e.entity_type), v_needle) > 0
            OR EXISTS (SELECT FROM cogdb.entity_observations o
                        WHERE o.tenant_id = e.tenant_id AND o.entity_id = e.id
                          AND strpos(lower(o.observation), v_needle) > 0))
     ORDER BY e.external_id COLLATE "C"
     LIMIT max_rows;
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_entities(text, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_entities(text, integer, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.list_entities(text, integer, text) IS
    'A page of the name-keyed entities the caller can see, in name order, with type and observations; optionally only those containing a text.';
-- <<< sql/functions/knowledge/list_entities.sql

-- >>> sql/functions/knowledge/entity_relations.sql
-- The current relationships (cogdb.fact_holds: current knowledge, valid now) between two
-- entities, touching any of the name-keyed entities `names` (an alias's name stands for its
-- survivor), that the caller can see, with both ends' keys and names: one call for the
-- relations of a set of entities (the MCP memory server's open_nodes, search_nodes and
-- read_graph), instead of one list_relationships per entity. Relationships with a memory at
-- either end are left out. Ordered by the from end's key, type, the to end's key.
-- Reads only; no context, no rows.
CREATE OR REPLACE FUNCTION cogdb.entity_relations(names text[])
    RETURNS TABLE (id text, type text, from_id text, from_system text, from_external_id text,
                   from_name text, to_id text, to_system text, to_external_id text,
                   to_name text, strength real, confidence real, visibility text,
                   valid_from timestamptz, recorded_at timestamptz)
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH wanted AS (
        SELECT DISTINCT coalesce(e.merged_into, e.id) AS id
          FROM cogdb.entities e
         WHERE e.tenant_id = cogdb.current_tenant_id()
           AND e.id = ANY (ARRAY(SELECT cogdb.entity_id_for('', n) FROM unnest(names) n
                                  WHERE n IS NOT NULL))
    ), touching AS (
        SELECT r.* FROM cogdb.relationships r
         WHERE r.tenant_id = cogdb.current_tenant_id()
           AND r.from_entity_id IN (SELECT w.id FROM wanted w)
        UNION
        SELECT r.* FROM cogdb.relationships r
         WHERE r.tenant_id = cogdb.current_tenant_id()
           AND r.to_entity_id IN (SELECT w.id FROM wanted w)
    )
    SELECT r.id, r.type, f.id, f.system, f.external_id, f.name, t.id, t.system,
           t.external_id, t.name, r.strength, r.confidence, r.visibility, r.valid_from,
           r.recorded_at
      FROM touching r
      JOIN cogdb.entities f ON f.tenant_id = r.tenant_id AND f.id = r.from_entity_id
      JOIN cogdb.entities t ON t.tenant_id = r.tenant_id AND t.id = r.to_entity_id
     WHERE cogdb.fact_holds(r.valid_from, r.valid_to, r.recorded_at, r.superseded_at, NULL, NULL)
     ORDER BY f.external_id COLLATE "C", r.type, t.external_id COLLATE "C", r.id
$$;

REVOKE ALL ON FUNCTION cogdb.entity_relations(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.entity_relations(text[]) TO cogdb_app;
COMMENT ON FUNCTION cogdb.entity_relations(text[]) IS
    'The current entity-to-entity relationships touching the named entities that the caller can see, with both ends'' keys and names.';
-- <<< sql/functions/knowledge/entity_relations.sql

-- >>> sql/functions/knowledge/forget_observations.sql
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
-- <<< sql/functions/knowledge/forget_observations.sql

RESET ROLE;
