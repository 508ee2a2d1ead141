-- cogdb revision 0037 (entity_relations_by_id): downgrade, written by `python -m tools.freeze 0037` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

REVOKE ALL ON FUNCTION cogdb.entity_relations(text[]) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.entity_relations(text[]) IS NULL;
-- sql/functions/knowledge/entity_relations.sql as frozen in revision 0010
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

RESET ROLE;
