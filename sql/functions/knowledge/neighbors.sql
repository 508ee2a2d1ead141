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
-- What a level reads is bounded by the frontier and the budget, not by the tenant (revisions
-- 0023 and 0039): each frontier node's relationships are read through the ranked indexes,
-- (tenant_id, kind, node_id(this end), strength DESC, node_ref(other end) COLLATE "C") for
-- each direction (sql/tables/relationships.sql), in the level's own order (strongest first, then by reference), at most
-- v_take = (nodes still to find) + 1 of them per node and direction. Why that is exact: let
-- k be the nodes still to find. A node X left out of a node's list (cut after its edge B)
-- ranks after B; if that list holds k + 1 distinct nodes, k of them come strictly before B,
-- each ranks at least as high through that edge, so X is not among the first k, and every
-- edge of a node that is (its strongest, its lowest id among equals) was read. A list cut
-- with fewer distinct nodes (one node reached by several relationships) is not known to be
-- exact: the level is read again with no limit (v_take NULL). Every filter (types, as_of,
-- known_at, nodes already reached, expired memories, and the policies') applies before the
-- limit, so the lists hold only nodes the level may return.
-- So a level that needs max_nodes of a hub's 1,000 relationships reads about max_nodes + 1 of
-- them (bench/RESULTS.md, revision 0039), plus the edges the filters drop before the limit
-- counts (nodes already reached, other types or times, nodes the caller cannot see), and
-- all of them when a cut list was not known to be exact. The relationships' and the memories' tenant is an equality with v_tenant
-- (a parameter of the generic plan): the relationships' leads the ranked index (with the
-- node's reference the planner reads it in order and stops at the limit; under RLS the
-- fences' `tenant_id = ANY (…)` alone would leave it unordered), and partition pruning uses
-- the memories' when the statement starts, so each probe reads the tenant's partition by its
-- primary key (revision 0034). The entities' tenant is `(… = v_tenant) IS TRUE`, a filter on
-- the row its id found. A DBA's BYPASSRLS login walks one tenant the same way.
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
    -- The ranked read of a frontier node's relationships must come from its ranked index,
    -- in order. Without statistics on tenant_id (none, on purpose: docs/trust-model.md,
    -- known limits) the planner takes a tenant to be a row or two, and on a small table it
    -- then read the whole tenant by its smallest index (tenant_id, owner_user_id), sorted it,
    -- and ran the policies' probes on every row, once per frontier node (a walk of 1,000
    -- nodes over 1,800 relationships: 1,083,600 rows read; review of revision 0039). With
    -- sorts disabled, the plan that needs none wins whatever the estimates; the sorts this
    -- function cannot avoid (DISTINCT ON, the ranking) are the same in every plan.
    SET enable_sort = off
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
    v_front text[];            -- the frontier: node references (memory:<id>, entity:<id>)
    v_take integer;            -- edges read per frontier node and direction (NULL: all)
    v_exact boolean;           -- the level's edges read were enough to rank it exactly
    v_found integer := 0;
    v_level integer := 0;
    l_ref text[];
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
        v_front := ARRAY[v_kind || ':' || v_id];

        WHILE v_level < max_depth AND v_found < max_nodes AND cardinality(v_front) > 0 LOOP
            v_level := v_level + 1;
            -- One level: the frontier's relationships, each new node once, strongest first.
            -- Each frontier node's edges are read strongest first through the ranked indexes,
            -- v_take of them each way (the level's budget + 1); if some node had more and its
            -- edges read reach too few distinct nodes, the level is read again with no limit
            -- (v_take NULL): see the comment at the top.
            v_take := max_nodes - v_found + 1;
            LOOP
                WITH frontier AS (
                    SELECT u.ref, u.n, u.ref LIKE 'entity:%' AS is_entity,
                           substr(u.ref, strpos(u.ref, ':') + 1) AS id
                      FROM unnest(v_front) WITH ORDINALITY AS u(ref, n)),
                e AS MATERIALIZED (
                    SELECT f.n AS list, x.*
                      FROM frontier f
                     CROSS JOIN LATERAL (
                        SELECT r.id AS via, r.type, r.strength, 'out' AS dir, f.ref AS parent,
                               cogdb.node_ref(r.to_memory_id, r.to_entity_id) AS ref,
                               r.to_memory_id AS memory_id
                          FROM cogdb.relationships r
                         WHERE direction IN ('out', 'both') AND r.tenant_id = v_tenant
                           AND (r.from_memory_id IS NULL) = f.is_entity
                           AND cogdb.node_id(r.from_memory_id, r.from_entity_id) = f.id
                           AND (types IS NULL OR r.type = ANY (types))
                           AND cogdb.fact_holds(r.valid_from, r.valid_to, r.recorded_at,
                                                r.superseded_at, as_of, known_at)
                           AND NOT v_seen ? cogdb.node_ref(r.to_memory_id, r.to_entity_id)
                           AND (r.to_memory_id IS NULL OR NOT EXISTS (
                                SELECT FROM cogdb.memories m
                                 WHERE m.id = r.to_memory_id AND m.tenant_id = v_tenant
                                   AND m.expires_at <= now() OFFSET 0))
                         ORDER BY r.strength DESC,
                                  cogdb.node_ref(r.to_memory_id, r.to_entity_id) COLLATE "C"
                         LIMIT v_take) x
                    UNION ALL
                    SELECT -f.n, x.*
                      FROM frontier f
                     CROSS JOIN LATERAL (
                        SELECT r.id, r.type, r.strength, 'in', f.ref,
                               cogdb.node_ref(r.from_memory_id, r.from_entity_id),
                               r.from_memory_id
                          FROM cogdb.relationships r
                         WHERE direction IN ('in', 'both') AND r.tenant_id = v_tenant
                           AND (r.to_memory_id IS NULL) = f.is_entity
                           AND cogdb.node_id(r.to_memory_id, r.to_entity_id) = f.id
                           AND (types IS NULL OR r.type = ANY (types))
                           AND cogdb.fact_holds(r.valid_from, r.valid_to, r.recorded_at,
                                                r.superseded_at, as_of, known_at)
                           AND NOT v_seen ? cogdb.node_ref(r.from_memory_id, r.from_entity_id)
                           AND (r.from_memory_id IS NULL OR NOT EXISTS (
                                SELECT FROM cogdb.memories m
                                 WHERE m.id = r.from_memory_id AND m.tenant_id = v_tenant
                                   AND m.expires_at <= now() OFFSET 0))
                         ORDER BY r.strength DESC,
                                  cogdb.node_ref(r.from_memory_id, r.from_entity_id) COLLATE "C"
                         LIMIT v_take) x),
                lists AS (
                    SELECT e.list, count(*) AS edges, count(DISTINCT e.ref) AS nodes
                      FROM e GROUP BY e.list)
                SELECT NOT EXISTS (SELECT FROM lists l
                                    WHERE l.edges = v_take AND l.nodes < v_take),
                       coalesce(array_agg(x.ref ORDER BY x.n), '{}'),
                       array_agg(x.via ORDER BY x.n), array_agg(x.type ORDER BY x.n),
                       array_agg(x.dir ORDER BY x.n), array_agg(x.strength ORDER BY x.n),
                       array_agg(x.parent ORDER BY x.n), array_agg(x.label ORDER BY x.n)
                  INTO v_exact, l_ref, l_via, l_type, l_dir, l_strength, l_parent, l_label
                  FROM (
                    SELECT f.*, row_number() OVER (ORDER BY f.strength DESC, f.ref COLLATE "C") AS n,
                           CASE WHEN f.memory_id IS NULL
                                THEN (SELECT en.name FROM cogdb.entities en
                                       WHERE en.id = substr(f.ref, 8)
                                         AND (en.tenant_id = v_tenant) IS TRUE)
                                ELSE (SELECT left(coalesce(nullif(m.human_content, ''), m.assistant_content), 200)
                                        FROM cogdb.memories m
                                       WHERE m.id = f.memory_id AND m.tenant_id = v_tenant)
                           END AS label
                      FROM (
                        SELECT DISTINCT ON (e.ref COLLATE "C") e.*
                          FROM e
                         ORDER BY e.ref COLLATE "C", e.strength DESC, e.via COLLATE "C") f
                     ORDER BY f.strength DESC, f.ref COLLATE "C"
                     LIMIT max_nodes - v_found) x;
                EXIT WHEN v_exact;
                v_take := NULL;
            END LOOP;
            EXIT WHEN cardinality(l_ref) = 0;

            RETURN QUERY
                SELECT u.ref, split_part(u.ref, ':', 1), substr(u.ref, strpos(u.ref, ':') + 1),
                       v_level, u.via, u.type, u.dir, u.strength,
                       ARRAY(SELECT jsonb_array_elements_text(v_seen -> u.parent)) || u.ref, u.label,
                       v_tenant
                  FROM unnest(l_ref, l_via, l_type, l_dir, l_strength, l_parent, l_label)
                       WITH ORDINALITY AS u(ref, via, type, dir, strength, parent, label, n)
                 ORDER BY u.n;
            v_seen := v_seen || (SELECT jsonb_object_agg(u.ref, (v_seen -> u.parent) || to_jsonb(u.ref))
                                   FROM unnest(l_ref, l_parent) AS u(ref, parent));
            v_found := v_found + cardinality(l_ref);
            v_front := l_ref;
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
