-- The nodes reachable from `start` (a reference as for resolve_node) through the
-- relationships the caller can see, breadth first: each node once, at its smallest depth,
-- with the relationship it was reached by (`via`, its type, direction and strength), the
-- path from the start (canonical references, start first) and a label (an entity's name, a
-- memory's first 200 characters).
--
--   max_depth  1-5 (default 2)       types      only these relationship types
--   direction  out, in, both         as_of, known_at  the picture at those times
--   max_nodes  1-1000 (default 100): the result is bounded, and so is the work: the walk
--              stops after the level that reaches it.
-- Within a level, a node reached by several relationships takes the strongest (then the
-- lowest id), and nodes come strongest first (then by reference, byte order); levels come
-- in order.
-- Cycles are safe: a node already reached is never entered again.
--
-- What a level reads is bounded by the frontier, not by the tenant (revision 0023): every
-- lookup is by node id. The relationships' and entities' tenant is compared as
-- `(… = v_tenant) IS TRUE`, a filter on the rows the ids found rather than an index
-- condition (under RLS the index condition on the tenant is the fences'). The memories'
-- tenant is an equality, `m.tenant_id = v_tenant` (revision 0034): a parameter of the
-- generic plan, which partition pruning uses when the statement starts, so each probe reads
-- the tenant's partition by its primary key instead of every partition's; the estimates of
-- set_tenant_estimates keep the planner on the primary key. Without RLS (a DBA's BYPASSRLS
-- login) the ids lead the relationships' and entities' lookups: their indexes
-- (tenant_id, <node id>) are read by skip scan, one descent per tenant.
-- OFFSET 0 keeps the expiry check a per-row probe rather than a hashed sub-plan that reads
-- the whole tenant at every level (docs/trust-model.md "What a walk reads").
--
-- Isolation is the policies' doing: a relationship exists for the caller only if the caller
-- can see both of its nodes (relationships__endpoints_visible), so a path never passes
-- through another user's private memory or entity, and nothing in the output (rows, depths,
-- paths) differs from a graph in which that node does not exist. Expired memories are
-- neither returned nor passed through. A start the caller cannot see gives no rows.
--
-- include_shared => true (docs/trust-model.md "Traversal through shared memories"): when
-- the context's own tenant has no node `start` names and it is a memory:<id> that a live
-- grant shares with the context, the walk runs in that source tenant (in each, if several
-- share that id), through the source's relationships the policies let the context see:
-- tenant-visible ones between two memories the grants cover (relationships__tenant_fence,
-- relationships__endpoints_visible), never through an entity or a memory outside the
-- grant. Every row says its tenant (tenant_id); each source's audit chain gets a note of
-- the shared memories read (note_shared_read: a count, never ids). The request lasts for
-- this call only (share_request(true), then share_request(false)). A start of the own
-- tenant walks the own graph only: relationships never join two tenants.
CREATE OR REPLACE FUNCTION cogdb.neighbors(start text, max_depth integer DEFAULT 2,
                                           types text[] DEFAULT NULL,
                                           direction text DEFAULT 'both',
                                           as_of timestamptz DEFAULT NULL,
                                           known_at timestamptz DEFAULT NULL,
                                           max_nodes integer DEFAULT 100,
                                           include_shared boolean DEFAULT false)
    RETURNS TABLE (node text, kind text, id text, depth integer, via text, type text,
                   edge_direction text, strength real, path text[], label text,
                   tenant_id uuid)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    -- The level query's plan does not depend on the frontier's values: plan it once per
    -- session, not on every call (a custom plan costs more than the walk of a small graph).
    SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_variable
DECLARE
    -- The fences keep a walk in its tenant under RLS; every lookup says it again, so that a
    -- role without RLS (a DBA's BYPASSRLS login) also walks one tenant.
    v_own uuid := cogdb.current_tenant_id();
    v_tenant uuid;             -- the tenant this walk runs in
    v_walks uuid[];
    v_shared boolean := false;
    v_kind text;
    v_id text;
    v_seen jsonb;              -- every node reached so far -> its path (a JSON array)
    v_mem text[];              -- the frontier: memory ids
    v_ent text[];              --               entity ids
    v_found integer := 0;
    v_level integer := 0;
    l_ref text[];
    l_kind text[];
    l_id text[];
    l_via text[];
    l_type text[];
    l_dir text[];
    l_strength real[];
    l_parent text[];
    l_label text[];
BEGIN
    IF max_depth IS NULL OR max_depth NOT BETWEEN 1 AND 5 THEN
        RAISE EXCEPTION 'max_depth must be between 1 and 5, got %', coalesce(max_depth::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'max_depth',
                  HINT = 'Depth 1 is the direct neighbours; the default is 2.';
    END IF;
    IF max_nodes IS NULL OR max_nodes NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'max_nodes must be between 1 and 1000, got %', coalesce(max_nodes::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'max_nodes',
                  HINT = 'The walk returns at most this many nodes, nearest first.';
    END IF;
    IF direction IS NULL OR direction NOT IN ('out', 'in', 'both') THEN
        RAISE EXCEPTION 'direction must be out, in or both, got %',
                        coalesce(quote_literal(left(direction, 20)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'direction',
                  HINT = 'out: along relationships; in: against them; both (the default).';
    END IF;
    SELECT r.kind, r.id INTO v_kind, v_id FROM cogdb.resolve_node(start, 'start') r;
    IF v_id IS NOT NULL THEN
        v_walks := ARRAY[v_own];
    ELSIF include_shared IS TRUE AND v_own IS NOT NULL AND start LIKE 'memory:%' THEN
        v_kind := 'memory';
        v_id := substr(start, 8);
        v_walks := cogdb.share_request(true);  -- its own statement: the fence reads the flag
        v_walks := ARRAY(SELECT m.tenant_id FROM cogdb.memories m
                          WHERE m.id = v_id AND (m.tenant_id = ANY (v_walks)) IS TRUE
                            AND (m.expires_at IS NULL OR m.expires_at > now())
                          ORDER BY m.tenant_id);
        v_shared := true;
    END IF;
    FOREACH v_tenant IN ARRAY coalesce(v_walks, '{}') LOOP
        v_found := 0;
        v_level := 0;
        v_seen := jsonb_build_object(v_kind || ':' || v_id, jsonb_build_array(v_kind || ':' || v_id));
        v_mem := CASE WHEN v_kind = 'memory' THEN ARRAY[v_id] ELSE '{}' END;
        v_ent := CASE WHEN v_kind = 'entity' THEN ARRAY[v_id] ELSE '{}' END;

        WHILE v_level < max_depth AND v_found < max_nodes
              AND cardinality(v_mem) + cardinality(v_ent) > 0 LOOP
            v_level := v_level + 1;
            -- One level: the frontier's relationships, each new node once, strongest first.
            SELECT coalesce(array_agg(x.ref ORDER BY x.n), '{}'), array_agg(x.okind ORDER BY x.n),
                   array_agg(x.oid ORDER BY x.n), array_agg(x.via ORDER BY x.n),
                   array_agg(x.type ORDER BY x.n), array_agg(x.dir ORDER BY x.n),
                   array_agg(x.strength ORDER BY x.n), array_agg(x.parent ORDER BY x.n),
                   array_agg(x.label ORDER BY x.n)
              INTO l_ref, l_kind, l_id, l_via, l_type, l_dir, l_strength, l_parent, l_label
              FROM (
                SELECT f.*, row_number() OVER (ORDER BY f.strength DESC, f.ref COLLATE "C") AS n,
                       CASE WHEN f.okind = 'entity'
                            THEN (SELECT en.name FROM cogdb.entities en
                                   WHERE en.id = f.oid AND (en.tenant_id = v_tenant) IS TRUE)
                            ELSE (SELECT left(coalesce(nullif(m.human_content, ''), m.assistant_content), 200)
                                    FROM cogdb.memories m
                                   WHERE m.id = f.oid AND m.tenant_id = v_tenant)
                       END AS label
                  FROM (
                    SELECT DISTINCT ON (e.okind COLLATE "C", e.oid COLLATE "C") e.*,
                           e.okind || ':' || e.oid AS ref
                      FROM (
                        SELECT r.id AS via, r.type, r.strength, 'out' AS dir,
                               CASE WHEN r.from_memory_id IS NOT NULL THEN 'memory:' || r.from_memory_id
                                    ELSE 'entity:' || r.from_entity_id END AS parent,
                               CASE WHEN r.to_memory_id IS NOT NULL THEN 'memory' ELSE 'entity' END AS okind,
                               coalesce(r.to_memory_id, r.to_entity_id) AS oid
                          FROM cogdb.relationships r
                         WHERE direction IN ('out', 'both') AND (r.tenant_id = v_tenant) IS TRUE
                           AND (r.from_memory_id = ANY (v_mem) OR r.from_entity_id = ANY (v_ent))
                           AND (types IS NULL OR r.type = ANY (types))
                           AND cogdb.fact_holds(r.valid_from, r.valid_to, r.recorded_at,
                                                r.superseded_at, as_of, known_at)
                        UNION ALL
                        SELECT r.id, r.type, r.strength, 'in',
                               CASE WHEN r.to_memory_id IS NOT NULL THEN 'memory:' || r.to_memory_id
                                    ELSE 'entity:' || r.to_entity_id END,
                               CASE WHEN r.from_memory_id IS NOT NULL THEN 'memory' ELSE 'entity' END,
                               coalesce(r.from_memory_id, r.from_entity_id)
                          FROM cogdb.relationships r
                         WHERE direction IN ('in', 'both') AND (r.tenant_id = v_tenant) IS TRUE
                           AND (r.to_memory_id = ANY (v_mem) OR r.to_entity_id = ANY (v_ent))
                           AND (types IS NULL OR r.type = ANY (types))
                           AND cogdb.fact_holds(r.valid_from, r.valid_to, r.recorded_at,
                                                r.superseded_at, as_of, known_at)) e
                     WHERE NOT v_seen ? (e.okind || ':' || e.oid)
                       AND (e.okind = 'entity' OR NOT EXISTS (
                            SELECT FROM cogdb.memories m
                             WHERE m.id = e.oid AND m.tenant_id = v_tenant
                               AND m.expires_at <= now() OFFSET 0))
                     ORDER BY e.okind COLLATE "C", e.oid COLLATE "C", e.strength DESC,
                              e.via COLLATE "C") f
                 ORDER BY f.strength DESC, f.ref COLLATE "C"
                 LIMIT max_nodes - v_found) x;
            EXIT WHEN cardinality(l_ref) = 0;

            RETURN QUERY
                SELECT u.ref, u.kind, u.id, v_level, u.via, u.type, u.dir, u.strength,
                       ARRAY(SELECT jsonb_array_elements_text(v_seen -> u.parent)) || u.ref, u.label,
                       v_tenant
                  FROM unnest(l_ref, l_kind, l_id, l_via, l_type, l_dir, l_strength, l_parent, l_label)
                       WITH ORDINALITY AS u(ref, kind, id, via, type, dir, strength, parent, label, n)
                 ORDER BY u.n;
            v_seen := v_seen || (SELECT jsonb_object_agg(u.ref, (v_seen -> u.parent) || to_jsonb(u.ref))
                                   FROM unnest(l_ref, l_parent) AS u(ref, parent));
            v_found := v_found + cardinality(l_ref);
            v_mem := ARRAY(SELECT u.id FROM unnest(l_kind, l_id) AS u(kind, id) WHERE u.kind = 'memory');
            v_ent := ARRAY(SELECT u.id FROM unnest(l_kind, l_id) AS u(kind, id) WHERE u.kind = 'entity');
        END LOOP;
        IF v_shared THEN  -- the start and every memory reached are the source's shared memories
            PERFORM cogdb.note_shared_read(v_tenant, 'neighbors', 1 + v_found);
        END IF;
    END LOOP;
    IF v_shared THEN
        PERFORM cogdb.share_request(false);
    END IF;
END
$$;

REVOKE ALL ON FUNCTION cogdb.neighbors(text, integer, text[], text, timestamptz, timestamptz, integer, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.neighbors(text, integer, text[], text, timestamptz, timestamptz, integer, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.neighbors(text, integer, text[], text, timestamptz, timestamptz, integer, boolean) IS
    'The nodes reachable from a start node through relationships the caller can see, breadth first, each once with its depth, edge, path and tenant; bounded; include_shared walks a shared memory''s source within the grants.';
