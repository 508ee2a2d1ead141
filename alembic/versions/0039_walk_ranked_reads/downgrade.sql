-- cogdb revision 0039 (walk_ranked_reads): downgrade, written by `python -m tools.freeze 0039` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

REVOKE ALL ON FUNCTION cogdb.relate(text, text, text, real, real, jsonb, timestamptz, timestamptz, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.relate(text, text, text, real, real, jsonb, timestamptz, timestamptz, text) IS NULL;
-- sql/functions/knowledge/relate.sql as frozen in revision 0035
-- Records that `from_node` relates to `to_node` (references as for resolve_node: memory:<id>,
-- entity:<id>, name:<name>, key:<system>:<external id>; both visible to the caller, in its
-- tenant) with a type (built in or registered), strength and confidence (0-1), metadata, and
-- the time it holds in the world (valid_from, default now; valid_to, default open). Returns
-- the record's id, whether a record was written, and the records it superseded.
--
-- Nothing is deleted; records are superseded:
--   * the same fact (from, to, type) recorded again while an active record of it exists:
--     unchanged attributes write nothing and return the active record; otherwise the new
--     record replaces it (valid_from carries over unless given), e.g. a new strength, or a
--     valid_to that ends the fact;
--   * a new current fact of an exclusive type (registered with exclusive => true) contradicts
--     the active records of that type from the same node to other nodes: each is superseded
--     and, if it held before the new fact's start, replaced by a closed copy valid until then.
-- Shared (visibility 'tenant') and private records are separate layers: a private record
-- supersedes only the caller's own private records. One call at a time per (from node,
-- type) and tenant (an advisory lock), so concurrent calls do not race.
CREATE OR REPLACE FUNCTION cogdb.relate(from_node text, to_node text, type text,
                                        strength real DEFAULT NULL,
                                        confidence real DEFAULT NULL,
                                        metadata jsonb DEFAULT NULL,
                                        valid_from timestamptz DEFAULT NULL,
                                        valid_to timestamptz DEFAULT NULL,
                                        visibility text DEFAULT 'tenant')
    RETURNS TABLE (id text, created boolean, superseded text[])
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    -- Every statement on relationships carries its policies' probes of memories, one Append
    -- over every partition each: a custom plan plans them all on every call (240 ms a call
    -- at 81 partitions, revision 0035's benchmark), a generic plan once per session, and
    -- prunes the endpoint probes to the tenant's partition when each statement starts (they
    -- name the tenant by cogdb.current_tenant_id(); relationships__endpoints_visible; the
    -- fence's lookup for shared rows is set up but runs for other tenants' rows only).
    -- relate reads memories only through those probes and resolve_node.
    SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.require_tenant('writing relationships');
    v_user uuid := cogdb.current_user_id();
    v_type constant text := relate.type;
    v_vis constant text := coalesce(relate.visibility, 'tenant');
    v_from_kind text;
    v_from_id text;
    v_to_kind text;
    v_to_id text;
    v_fm text;
    v_fe text;
    v_tm text;
    v_te text;
    v_exclusive boolean := false;
    v_old cogdb.relationships;
    v_new constant text := 'rel_' || replace(gen_random_uuid()::text, '-', '');
    v_copy text;
    v_start timestamptz;
    v_superseded text[] := '{}';
    c cogdb.relationships;
BEGIN
    IF v_type IS NULL OR v_type !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'type must be 1-63 of a-z 0-9 _ starting with a letter, got %',
                        coalesce(quote_literal(left(v_type, 60)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'type',
                  HINT = 'Built in: ' || array_to_string(cogdb.builtin_relationship_types(), ', ') || '.';
    END IF;
    IF NOT v_type = ANY (cogdb.builtin_relationship_types()) THEN
        SELECT t.exclusive INTO v_exclusive FROM cogdb.relationship_types t WHERE t.name = v_type;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'unknown relationship type %', quote_literal(v_type)
                USING ERRCODE = 'CGV01', COLUMN = 'type',
                      HINT = 'Use a built-in type (' || array_to_string(cogdb.builtin_relationship_types(), ', ')
                             || ') or register one: cogdb relation-type add ' || v_type
                             || ' (cogdb.register_relationship_type).';
        END IF;
    END IF;
    IF NOT coalesce(strength, 1) BETWEEN 0 AND 1 OR NOT coalesce(confidence, 1) BETWEEN 0 AND 1 THEN
        RAISE EXCEPTION 'strength and confidence must be between 0 and 1'
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN NOT coalesce(strength, 1) BETWEEN 0 AND 1 THEN 'strength'
                                ELSE 'confidence' END,
                  HINT = 'Leave them out for 1 (full strength, certain).';
    END IF;
    IF metadata IS NOT NULL AND jsonb_typeof(metadata) <> 'object' THEN
        RAISE EXCEPTION 'metadata must be a JSON object, got %', jsonb_typeof(metadata)
            USING ERRCODE = 'CGV01', COLUMN = 'metadata', HINT = 'e.g. {"source": "meeting 2026-11-02"}';
    END IF;
    IF v_vis NOT IN ('private', 'tenant') THEN
        RAISE EXCEPTION 'visibility must be private or tenant, got %', quote_literal(left(v_vis, 60))
            USING ERRCODE = 'CGV01', COLUMN = 'visibility',
                  HINT = 'private: the context''s user only; tenant: everyone in the tenant.';
    END IF;
    IF v_vis = 'private' AND v_user IS NULL THEN
        RAISE EXCEPTION 'a private relationship needs a user in the context'
            USING ERRCODE = 'CGV01', COLUMN = 'visibility',
                  HINT = 'Pass a user to set_context, or use visibility ''tenant''.';
    END IF;
    IF valid_to <= valid_from THEN
        RAISE EXCEPTION 'valid_to must be later than valid_from'
            USING ERRCODE = 'CGV01', COLUMN = 'valid_to',
                  HINT = 'Leave valid_to out for a fact that still holds.';
    END IF;
    SELECT r.kind, r.id INTO v_from_kind, v_from_id FROM cogdb.resolve_node(from_node, 'from_node') r;
    SELECT r.kind, r.id INTO v_to_kind, v_to_id FROM cogdb.resolve_node(to_node, 'to_node') r;
    IF v_from_id IS NULL OR v_to_id IS NULL THEN
        RAISE EXCEPTION 'no node % in this context',
                        quote_literal(left(CASE WHEN v_from_id IS NULL THEN from_node ELSE to_node END, 80))
            USING ERRCODE = 'CGN01',
                  COLUMN = CASE WHEN v_from_id IS NULL THEN 'from_node' ELSE 'to_node' END,
                  HINT = 'Check the reference; a node another user keeps private is not visible here.';
    END IF;
    IF (v_from_kind, v_from_id) = (v_to_kind, v_to_id) THEN
        RAISE EXCEPTION 'a relationship joins two different nodes'
            USING ERRCODE = 'CGV01', COLUMN = 'to_node',
                  HINT = 'from_node and to_node name the same node.';
    END IF;
    v_fm := CASE WHEN v_from_kind = 'memory' THEN v_from_id END;
    v_fe := CASE WHEN v_from_kind = 'entity' THEN v_from_id END;
    v_tm := CASE WHEN v_to_kind = 'memory' THEN v_to_id END;
    v_te := CASE WHEN v_to_kind = 'entity' THEN v_to_id END;
    PERFORM pg_advisory_xact_lock(hashtextextended(
        format('cogdb.relate/%s/%s:%s/%s', v_tenant, v_from_kind, v_from_id, v_type), 0));

    -- The active record of this fact in the caller's layer (shared, or the caller's private).
    -- The own tenant's records only: a transaction that asked for shared rows
    -- (share_request(true)) also reads another tenant's, and ids repeat across tenants.
    -- A filter (IS TRUE), not a second index condition beside the fence's. One statement per
    -- kind of from node: with generic plans, `from_memory_id = v_fm OR from_entity_id = v_fe`
    -- let the planner read every active record of the type instead (96 ms for 56,000 rows
    -- in the largest tenant of the 1M benchmark).
    IF v_fm IS NOT NULL THEN
        SELECT r.* INTO v_old FROM cogdb.relationships r
         WHERE (r.tenant_id = v_tenant) IS TRUE AND r.from_memory_id = v_fm
           AND (r.to_memory_id = v_tm OR r.to_entity_id = v_te)
           AND r.type = v_type AND r.superseded_at IS NULL AND r.valid_to IS NULL
           AND r.visibility = v_vis AND (v_vis = 'tenant' OR r.owner_user_id = v_user);
    ELSE
        SELECT r.* INTO v_old FROM cogdb.relationships r
         WHERE (r.tenant_id = v_tenant) IS TRUE AND r.from_entity_id = v_fe
           AND (r.to_memory_id = v_tm OR r.to_entity_id = v_te)
           AND r.type = v_type AND r.superseded_at IS NULL AND r.valid_to IS NULL
           AND r.visibility = v_vis AND (v_vis = 'tenant' OR r.owner_user_id = v_user);
    END IF;
    IF FOUND THEN
        IF valid_to IS NULL AND coalesce(valid_from, v_old.valid_from) = v_old.valid_from
           AND coalesce(strength, v_old.strength) = v_old.strength
           AND coalesce(confidence, v_old.confidence) = v_old.confidence
           AND coalesce(metadata, v_old.metadata) = v_old.metadata THEN
            RETURN QUERY SELECT v_old.id, false, '{}'::text[];
            RETURN;
        END IF;
        IF valid_to <= coalesce(valid_from, v_old.valid_from) THEN
            RAISE EXCEPTION 'valid_to must be later than the fact''s valid_from (%)', v_old.valid_from
                USING ERRCODE = 'CGV01', COLUMN = 'valid_to',
                      HINT = 'valid_to ends the fact; it started at its valid_from.';
        END IF;
        UPDATE cogdb.relationships r SET superseded_at = now()
         WHERE r.tenant_id = v_tenant AND r.id = v_old.id;
        v_start := coalesce(valid_from, v_old.valid_from);
        strength := coalesce(strength, v_old.strength);
        confidence := coalesce(confidence, v_old.confidence);
        metadata := coalesce(metadata, v_old.metadata);
        v_superseded := ARRAY[v_old.id];
    ELSE
        v_start := coalesce(valid_from, now());
        IF v_exclusive AND valid_to IS NULL THEN
            -- the own tenant's, found per kind of from node as the lookup above (FOR UPDATE
            -- takes no UNION: the rows are locked by id, and checked again once locked)
            FOR c IN SELECT r.* FROM cogdb.relationships r
                      WHERE (r.tenant_id = v_tenant) IS TRUE
                        AND r.id = ANY (ARRAY(
                            SELECT x.id FROM cogdb.relationships x
                             WHERE (x.tenant_id = v_tenant) IS TRUE AND x.from_memory_id = v_fm
                               AND x.type = v_type AND x.superseded_at IS NULL
                               AND x.valid_to IS NULL
                            UNION ALL
                            SELECT x.id FROM cogdb.relationships x
                             WHERE (x.tenant_id = v_tenant) IS TRUE AND x.from_entity_id = v_fe
                               AND x.type = v_type AND x.superseded_at IS NULL
                               AND x.valid_to IS NULL))
                        AND r.type = v_type AND r.superseded_at IS NULL AND r.valid_to IS NULL
                        AND r.visibility = v_vis AND (v_vis = 'tenant' OR r.owner_user_id = v_user)
                      ORDER BY r.id
                      FOR UPDATE
            LOOP
                UPDATE cogdb.relationships r SET superseded_at = now()
                 WHERE r.tenant_id = v_tenant AND r.id = c.id;
                IF v_start > c.valid_from THEN  -- it held until the new fact: keep that part
                    v_copy := 'rel_' || replace(gen_random_uuid()::text, '-', '');
                    INSERT INTO cogdb.relationships (id, from_memory_id, from_entity_id,
                        to_memory_id, to_entity_id, type, strength, confidence, metadata,
                        visibility, valid_from, valid_to)
                    VALUES (v_copy, c.from_memory_id, c.from_entity_id, c.to_memory_id,
                            c.to_entity_id, c.type, c.strength, c.confidence, c.metadata,
                            c.visibility, c.valid_from, v_start);
                    UPDATE cogdb.relationships r SET superseded_by = v_copy
                     WHERE r.tenant_id = v_tenant AND r.id = c.id;
                END IF;
                v_superseded := v_superseded || c.id;
            END LOOP;
        END IF;
    END IF;
    INSERT INTO cogdb.relationships (id, from_memory_id, from_entity_id, to_memory_id,
                                     to_entity_id, type, strength, confidence, metadata,
                                     visibility, valid_from, valid_to)
    VALUES (v_new, v_fm, v_fe, v_tm, v_te, v_type, coalesce(strength, 1),
            coalesce(confidence, 1), coalesce(metadata, '{}'), v_vis, v_start, valid_to);
    UPDATE cogdb.relationships r SET superseded_by = v_new
     WHERE r.tenant_id = v_tenant AND r.id = ANY (v_superseded) AND r.superseded_by IS NULL;
    RETURN QUERY SELECT v_new, true, v_superseded;
END
$$;

REVOKE ALL ON FUNCTION cogdb.relate(text, text, text, real, real, jsonb, timestamptz, timestamptz, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.relate(text, text, text, real, real, jsonb, timestamptz, timestamptz, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.relate(text, text, text, real, real, jsonb, timestamptz, timestamptz, text) IS
    'Records a typed, weighted, time-bounded relationship between two visible nodes; a contradicted or replaced record is superseded, never deleted.';

REVOKE ALL ON FUNCTION cogdb.neighbors(text, integer, text[], text, timestamptz, timestamptz, integer, boolean) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.neighbors(text, integer, text[], text, timestamptz, timestamptz, integer, boolean) IS NULL;
-- sql/functions/knowledge/neighbors.sql as frozen in revision 0034
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

-- >>> step ranked_indexes.down.sql
ALTER INDEX cogdb.relationships_active_key ALTER COLUMN 7 SET STATISTICS -1;
DROP INDEX cogdb.relationships_in_ranked_idx;
DROP INDEX cogdb.relationships_out_ranked_idx;
-- <<< step ranked_indexes.down.sql

-- sql/functions/knowledge/node_id.sql: new in this revision
DROP FUNCTION cogdb.node_id(text, text);

-- sql/functions/knowledge/node_ref.sql: new in this revision
DROP FUNCTION cogdb.node_ref(text, text);

RESET ROLE;
