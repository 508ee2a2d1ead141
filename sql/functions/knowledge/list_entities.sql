-- The name-keyed entities (system '') the caller can see, in name order (by their key, the
-- name a name:<name> reference resolves; COLLATE "C", so pages are stable whatever the
-- database's collation), with type and observations (oldest first): a page of at most
-- max_rows (1-1000) after the name `after` (NULL: from the start). `containing` keeps the
-- entities whose name, type or any observation contains that text, ignoring case (the MCP
-- memory server's search_nodes). Aliases (entities merged into another) are left out: their
-- survivor is listed. tenant_id: the tenant the entity lives in. Reads only; no context, no
-- rows.
-- include_shared => true adds the name-keyed entities live grants share with the context
-- (with the observations the grants cover), ordered with the own ones by name and then
-- tenant id; a name can then repeat, so the next page starts after (after, after_tenant),
-- the last row's name and tenant. Each source tenant whose entities a page shows gets a note
-- in its audit chain (note_shared_read: a count, never ids); the request lasts for this call
-- only. Every statement names its tenants (docs/conventions.md rule 3).
-- The MCP server's read_graph pages through this; an entity key index is not needed while a
-- tenant's name-keyed entities fit a sort (every page sorts them).
CREATE OR REPLACE FUNCTION cogdb.list_entities(after text DEFAULT NULL,
                                               max_rows integer DEFAULT 100,
                                               containing text DEFAULT NULL,
                                               include_shared boolean DEFAULT false,
                                               after_tenant uuid DEFAULT NULL)
    RETURNS TABLE (id text, external_id text, name text, entity_type text,
                   observations text[], visibility text, owner_user_id uuid,
                   update_count bigint, first_seen timestamptz, last_seen timestamptz,
                   tenant_id uuid)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_needle constant text := lower(nullif(containing, ''));
    v_tenant uuid := cogdb.current_tenant_id();
    v_tenants uuid[];
    v_counts jsonb := '{}';
    r record;
BEGIN
    IF max_rows IS NULL OR max_rows NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'max_rows must be between 1 and 1000, got %', coalesce(max_rows::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'max_rows',
                  HINT = 'Page on with after => the last name of the previous page.';
    END IF;
    IF v_tenant IS NULL THEN
        RETURN;
    END IF;
    IF include_shared IS NOT TRUE THEN
        RETURN QUERY
        SELECT e.id, e.external_id, e.name, e.entity_type,
               ARRAY(SELECT o.observation FROM cogdb.entity_observations o
                      WHERE o.tenant_id = e.tenant_id AND o.entity_id = e.id
                      ORDER BY o.created_at, o.observation),
               e.visibility, e.owner_user_id, e.update_count, e.first_seen, e.last_seen,
               e.tenant_id
          FROM cogdb.entities e
         WHERE e.tenant_id = v_tenant AND e.system = '' AND e.merged_into IS NULL
           AND (after IS NULL OR e.external_id COLLATE "C" > after COLLATE "C")
           AND (v_needle IS NULL
                OR strpos(lower(e.external_id), v_needle) > 0
                OR strpos(lower(e.entity_type), v_needle) > 0
                OR EXISTS (SELECT FROM cogdb.entity_observations o
                            WHERE o.tenant_id = e.tenant_id AND o.entity_id = e.id
                              AND strpos(lower(o.observation), v_needle) > 0))
         ORDER BY e.external_id COLLATE "C"
         LIMIT max_rows;
        RETURN;
    END IF;
    v_tenants := array_prepend(v_tenant, cogdb.share_request(true));
    FOR r IN
        SELECT e.id, e.external_id, e.name, e.entity_type,
               ARRAY(SELECT o.observation FROM cogdb.entity_observations o
                      WHERE o.tenant_id = e.tenant_id AND o.entity_id = e.id
                      ORDER BY o.created_at, o.observation) AS observations,
               e.visibility, e.owner_user_id, e.update_count, e.first_seen, e.last_seen,
               e.tenant_id
          FROM cogdb.entities e
         WHERE e.tenant_id = ANY (v_tenants) AND e.system = '' AND e.merged_into IS NULL
           AND (after IS NULL OR e.external_id COLLATE "C" > after COLLATE "C"
                OR e.external_id = after AND e.tenant_id > after_tenant)
           AND (v_needle IS NULL
                OR strpos(lower(e.external_id), v_needle) > 0
                OR strpos(lower(e.entity_type), v_needle) > 0
                OR EXISTS (SELECT FROM cogdb.entity_observations o
                            WHERE o.tenant_id = e.tenant_id AND o.entity_id = e.id
                              AND strpos(lower(o.observation), v_needle) > 0))
         ORDER BY e.external_id COLLATE "C", e.tenant_id
         LIMIT max_rows
    LOOP
        id := r.id; external_id := r.external_id; name := r.name;
        entity_type := r.entity_type; observations := r.observations;
        visibility := r.visibility; owner_user_id := r.owner_user_id;
        update_count := r.update_count; first_seen := r.first_seen; last_seen := r.last_seen;
        tenant_id := r.tenant_id;
        RETURN NEXT;
        IF r.tenant_id <> v_tenant THEN
            v_counts := jsonb_set(v_counts, ARRAY[r.tenant_id::text],
                                  to_jsonb(coalesce((v_counts ->> r.tenant_id::text)::integer, 0) + 1));
        END IF;
    END LOOP;
    FOR r IN SELECT c.key::uuid AS source, c.value::integer AS n
               FROM jsonb_each_text(v_counts) c ORDER BY 1 LOOP
        PERFORM cogdb.note_shared_read(r.source, 'list_entities', 0, r.n);
    END LOOP;
    PERFORM cogdb.share_request(false);
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_entities(text, integer, text, boolean, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_entities(text, integer, text, boolean, uuid) TO cogdb_app;
COMMENT ON FUNCTION cogdb.list_entities(text, integer, text, boolean, uuid) IS
    'A page of the name-keyed entities the caller can see, in name order, with type, observations and tenant; optionally only those containing a text; include_shared adds those live grants share with the caller.';
