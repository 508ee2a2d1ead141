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
