-- cogdb revision 0034 (walk_pruned): written by `python -m tools.freeze 0034` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> sql/policies/relationships__endpoints_visible.sql
-- A relationship exists for the caller only when the caller can see both of its nodes: the
-- sub-selects read memories and entities under their own policies (fence and visibility),
-- so an edge to another user's private memory or entity is neither read nor written, and a
-- traversal can never pass through such a node or reveal it. RESTRICTIVE: it narrows the
-- visibility policy, never widens it. The node tables' fences scope the ids to the context's
-- tenant; this table's own fence (relationships__tenant_fence) keeps the edge itself there.
-- Each sub-select also names the context's tenant. Not the edge's own tenant_id: that would
-- make this table's fence redundant, and a loosened fence could no longer be caught by a test.
-- Another tenant's relationship (which reaches this policy only when the caller asked for
-- shared rows and the fence let it through) passes here: its memories are checked by
-- relationships__tenant_fence, in the edge's own tenant, under memories__tenant_fence, and
-- it never has an entity (revision 0020; docs/trust-model.md "Traversal through shared
-- memories"). Writes (WITH CHECK) are the own tenant's only, checked as before.
--
-- Each check is one primary-key probe per relationship read, so a walk costs what it
-- reads, not what the tenant holds (revision 0023; docs/trust-model.md "What a walk
-- reads"):
-- - `OFFSET 0` keeps each EXISTS a per-row probe: without it the planner may turn it into
--   a hashed sub-plan that reads every memory (entity) of the tenant once per statement,
--   i.e. at every level of a walk, however small the walk.
-- - memories: the tenant is named as an equality, `m.tenant_id = (SELECT
--   cogdb.current_tenant_id())`, which partition pruning uses once the InitPlan has run:
--   the probe reads the tenant's partition by its primary key (tenant_id, id), not one
--   per partition (81 primary-key descents per probe at 1M rows before revision 0034;
--   the fence's `= ANY (…)` is an array, which pruning cannot use). It is a
--   second tenant equality beside the fence's, which revision 0023 had avoided: without
--   statistics on tenant_id the planner took one row for the whole tenant and read it by a
--   smaller index; since 0034 each partition carries the planner's estimate of a
--   tenant's rows (cogdb.set_tenant_estimates: search.ann_min_rows, at most a tenth of the
--   partition) and the primary key wins.
-- - entities (not partitioned): the tenant is compared as `(… = …) IS TRUE`, the same test
--   (a row whose comparison is NULL was never visible) written as a filter on the row the
--   probe found, not a second index condition: the index condition is the fence's and the
--   id, the primary key (tenant_id, id).
DROP POLICY IF EXISTS relationships__endpoints_visible ON cogdb.relationships;
CREATE POLICY relationships__endpoints_visible ON cogdb.relationships
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id <> (SELECT cogdb.current_tenant_id())
           OR ((from_memory_id IS NULL
                OR EXISTS (SELECT FROM cogdb.memories m
                            WHERE m.id = relationships.from_memory_id
                              AND m.tenant_id = (SELECT cogdb.current_tenant_id())
                           OFFSET 0))
           AND (from_entity_id IS NULL
                OR EXISTS (SELECT FROM cogdb.entities e
                            WHERE e.id = relationships.from_entity_id
                              AND (e.tenant_id = (SELECT cogdb.current_tenant_id())) IS TRUE
                           OFFSET 0))
           AND (to_memory_id IS NULL
                OR EXISTS (SELECT FROM cogdb.memories m
                            WHERE m.id = relationships.to_memory_id
                              AND m.tenant_id = (SELECT cogdb.current_tenant_id())
                           OFFSET 0))
           AND (to_entity_id IS NULL
                OR EXISTS (SELECT FROM cogdb.entities e
                            WHERE e.id = relationships.to_entity_id
                              AND (e.tenant_id = (SELECT cogdb.current_tenant_id())) IS TRUE
                           OFFSET 0))))
    WITH CHECK ((from_memory_id IS NULL
                 OR EXISTS (SELECT FROM cogdb.memories m
                             WHERE m.id = relationships.from_memory_id
                               AND m.tenant_id = (SELECT cogdb.current_tenant_id())
                            OFFSET 0))
                AND (from_entity_id IS NULL
                     OR EXISTS (SELECT FROM cogdb.entities e
                                 WHERE e.id = relationships.from_entity_id
                                   AND (e.tenant_id = (SELECT cogdb.current_tenant_id())) IS TRUE
                                OFFSET 0))
                AND (to_memory_id IS NULL
                     OR EXISTS (SELECT FROM cogdb.memories m
                                 WHERE m.id = relationships.to_memory_id
                                   AND m.tenant_id = (SELECT cogdb.current_tenant_id())
                                OFFSET 0))
                AND (to_entity_id IS NULL
                     OR EXISTS (SELECT FROM cogdb.entities e
                                 WHERE e.id = relationships.to_entity_id
                                   AND (e.tenant_id = (SELECT cogdb.current_tenant_id())) IS TRUE
                                OFFSET 0)));
-- <<< sql/policies/relationships__endpoints_visible.sql

-- >>> sql/functions/knowledge/neighbors.sql
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
-- <<< sql/functions/knowledge/neighbors.sql

-- >>> sql/functions/search/set_tenant_estimates.sql
-- The planner's estimate of how many memories a tenant holds in each partition of
-- cogdb.memories, written as the column statistics of tenant_id in each partition
-- (pg_restore_attribute_stats): a number of distinct values and nothing else, no value and no
-- frequency, so nothing in it is any tenant's. A tenant is taken to hold
-- search.ann_min_rows rows (what a tenant of memories_default holds at most, or `cogdb
-- maintain` would promote it), but never more than a tenth of the partition: a tenth of
-- the rows per tenant while a partition holds fewer than 10 * search.ann_min_rows, then one
-- tenant per search.ann_min_rows rows (a fraction of the rows, so it follows the table as
-- it grows; in a large memories_default, 1 in 200 rows per tenant is PostgreSQL's own default).
-- Why (docs/trust-model.md "What a walk reads"): tenant_id has no statistics (they would
-- show other tenants' sizes in EXPLAIN), so the planner took 1 in 200 rows for a tenant and
-- multiplied that by every other condition on tenant_id (the fence's, the caller's): in a
-- small partition a probe by primary key (tenant_id, id) and a read of the whole tenant by
-- a smaller index leading with tenant_id then cost the same (one row), and the planner took
-- the smaller index. The tenth is the other bound: at one tenant per partition (the exact
-- figure for a promoted tenant) a query naming a promoted tenant from another tenant's
-- context was planned as a sequential scan of that partition, with the fence a filter whose
-- removed rows EXPLAIN ANALYZE counts. Not closed: a query that names no tenant (the fence
-- alone, whose array the planner takes for ten tenants) may read a small promoted partition
-- (under about 1,000 rows: a lowered search.ann_min_rows, or a tenant that shrank) by a
-- sequential scan and count its rows, which pg_class.reltuples and pg_stat_user_tables show
-- to every login anyway (docs/trust-model.md, known limits).
-- ANALYZE keeps these: the column's statistics target is 0, so it never computes its own.
-- cogdb maintain sets them on every run (a promotion adds a partition, a partition grows, a
-- dump and restore or a new search.ann_min_rows changes them); returns how many partitions
-- it changed.
CREATE OR REPLACE FUNCTION cogdb.set_tenant_estimates() RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_per_tenant integer := greatest(cogdb.int_setting('search.ann_min_rows'), 1);
    v_set integer := 0;
    r record;
BEGIN
    FOR r IN SELECT c.relname::text AS relname, e.n_distinct,
                    s.n_distinct IS NOT DISTINCT FROM e.n_distinct
                    AND s.most_common_vals IS NULL AND s.histogram_bounds IS NULL
                    AND s.correlation IS NULL AS unchanged
               FROM pg_inherits i
               JOIN pg_class c ON c.oid = i.inhrelid
               -- n_distinct < 0: a fraction of the rows (distinct values = -n_distinct * rows)
               CROSS JOIN LATERAL (SELECT CASE WHEN c.reltuples >= 10.0 * v_per_tenant
                                               THEN (-1.0 / v_per_tenant)::real
                                               ELSE 10::real END AS n_distinct) e
               LEFT JOIN pg_stats s ON s.schemaname = 'cogdb' AND s.tablename = c.relname
                                   AND s.attname = 'tenant_id' AND NOT s.inherited
              WHERE i.inhparent = 'cogdb.memories'::regclass
              ORDER BY c.relname
    LOOP
        -- Unchanged: not written again (a write takes the partition's SHARE UPDATE EXCLUSIVE
        -- lock and makes every session plan its cached statements on memories again).
        CONTINUE WHEN r.unchanged;
        -- Cleared first: a restore only sets the fields it is given, and statistics an
        -- ANALYZE computed (a target set by hand) would keep the tenant as a common value.
        PERFORM pg_clear_attribute_stats('cogdb', r.relname, 'tenant_id', false);
        PERFORM pg_restore_attribute_stats(
            'schemaname', 'cogdb', 'relname', r.relname, 'attname', 'tenant_id',
            'inherited', false, 'null_frac', 0::real, 'avg_width', 16,
            'n_distinct', r.n_distinct);
        v_set := v_set + 1;
    END LOOP;
    RETURN v_set;
END
$$;

REVOKE ALL ON FUNCTION cogdb.set_tenant_estimates() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.set_tenant_estimates() IS
    'Sets the planner''s estimate of a tenant''s memories in each partition of memories (a number of distinct tenant_id values, no values): search.ann_min_rows rows per tenant, at most a tenth of the partition.';
-- <<< sql/functions/search/set_tenant_estimates.sql

-- >>> step estimates.sql
-- The planner's estimate of a tenant's memories in each partition (set_tenant_estimates).
SELECT cogdb.set_tenant_estimates();
-- <<< step estimates.sql

RESET ROLE;
