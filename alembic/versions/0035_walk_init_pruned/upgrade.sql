-- cogdb revision 0035 (walk_init_pruned): written by `python -m tools.freeze 0035` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> sql/policies/relationships__tenant_fence.sql
-- The tenant fence on relationships: a row is readable only inside its own tenant's context,
-- or, when the caller asked for shared rows (neighbors(…, include_shared => true)), a
-- tenant-visible relationship between two memories of a tenant that shares both with it;
-- writable only inside its own tenant's context (WITH CHECK; relationships__own_updates
-- keeps UPDATE and row locks to the own tenant too; the app has no DELETE on this table and
-- the definer functions that delete name their tenant: a shared relationship is read-only).
-- RESTRICTIVE, so no permissive policy added later can widen it.
-- - `tenant_id = ANY ((SELECT cogdb.readable_tenants())::uuid[])`: the context tenant, plus
--   the sources of its live grants only when it asked; an InitPlan and an index condition,
--   as in memories__tenant_fence: a statement that did not ask reads no other tenant's row.
-- - another tenant's relationship: never one that touches an entity (entities are not
--   shared), and both its memories must be ones the caller reads in that tenant, under
--   memories__tenant_fence (the grants' test, grant_covers on live_grants() computed once).
--   This lookup runs for rows of other tenants only, found by the index condition above;
--   the own tenant's rows take the first branch. It reads both ids in one primary-key scan
--   (revision 0023: OFFSET 0 keeps it per row, and `(… = …) IS TRUE` keeps the tenant
--   comparison a filter, as in relationships__endpoints_visible) and counts them; a
--   relationship from a memory to itself is one id. One lookup, not one per memory
--   (revision 0035): the row's tenant cannot prune the partitions of memories before the
--   statement runs, so every statement on relationships sets up this lookup's scan of
--   every partition, though only a statement that asked for shared rows runs it; one
--   lookup halves that.
-- (SELECT …) makes the helpers InitPlans: evaluated once per query, not once per row.
DROP POLICY IF EXISTS relationships__tenant_fence ON cogdb.relationships;
CREATE POLICY relationships__tenant_fence ON cogdb.relationships
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = ANY ((SELECT cogdb.readable_tenants())::uuid[])
           AND (tenant_id = (SELECT cogdb.current_tenant_id())
                OR (visibility = 'tenant' AND from_entity_id IS NULL AND to_entity_id IS NULL
                    AND (SELECT count(*) FROM cogdb.memories m
                          WHERE m.id IN (relationships.from_memory_id,
                                         relationships.to_memory_id)
                            AND (m.tenant_id = relationships.tenant_id) IS TRUE
                         OFFSET 0)
                        = CASE WHEN from_memory_id = to_memory_id THEN 1 ELSE 2 END)))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/relationships__tenant_fence.sql

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
-- - memories: the tenant is named as an equality, `m.tenant_id = cogdb.current_tenant_id()`
--   (the inlined helper, not a sub-select), which partition pruning uses when the statement
--   starts: the probe reads the tenant's partition by its primary key (tenant_id, id), and
--   no other partition is opened. Revision 0034 wrote `(SELECT cogdb.current_tenant_id())`,
--   an InitPlan: pruned only once it had run, so every statement still set up the probe's
--   scan of every partition (81 at 1M rows; most of a small walk's time). The helper is
--   read once per probe, as the probe's index condition, never per row of a scan: the one
--   exception docs/conventions.md rule 3 allows, which cogdb.policy_report() accepts in
--   this form only. The fence's `= ANY (…)` is an array, which pruning cannot use. A second
--   tenant equality beside the fence's is what revision 0023 had avoided: without
--   statistics on tenant_id the planner took one row for the whole tenant and read it by a
--   smaller index; since 0034 each partition carries the planner's estimate of a tenant's
--   rows (cogdb.set_tenant_estimates: search.ann_min_rows, at most a tenth of the
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
                              AND m.tenant_id = cogdb.current_tenant_id()
                           OFFSET 0))
           AND (from_entity_id IS NULL
                OR EXISTS (SELECT FROM cogdb.entities e
                            WHERE e.id = relationships.from_entity_id
                              AND (e.tenant_id = (SELECT cogdb.current_tenant_id())) IS TRUE
                           OFFSET 0))
           AND (to_memory_id IS NULL
                OR EXISTS (SELECT FROM cogdb.memories m
                            WHERE m.id = relationships.to_memory_id
                              AND m.tenant_id = cogdb.current_tenant_id()
                           OFFSET 0))
           AND (to_entity_id IS NULL
                OR EXISTS (SELECT FROM cogdb.entities e
                            WHERE e.id = relationships.to_entity_id
                              AND (e.tenant_id = (SELECT cogdb.current_tenant_id())) IS TRUE
                           OFFSET 0))))
    WITH CHECK ((from_memory_id IS NULL
                 OR EXISTS (SELECT FROM cogdb.memories m
                             WHERE m.id = relationships.from_memory_id
                               AND m.tenant_id = cogdb.current_tenant_id()
                            OFFSET 0))
                AND (from_entity_id IS NULL
                     OR EXISTS (SELECT FROM cogdb.entities e
                                 WHERE e.id = relationships.from_entity_id
                                   AND (e.tenant_id = (SELECT cogdb.current_tenant_id())) IS TRUE
                                OFFSET 0))
                AND (to_memory_id IS NULL
                     OR EXISTS (SELECT FROM cogdb.memories m
                                 WHERE m.id = relationships.to_memory_id
                                   AND m.tenant_id = cogdb.current_tenant_id()
                                OFFSET 0))
                AND (to_entity_id IS NULL
                     OR EXISTS (SELECT FROM cogdb.entities e
                                 WHERE e.id = relationships.to_entity_id
                                   AND (e.tenant_id = (SELECT cogdb.current_tenant_id())) IS TRUE
                                OFFSET 0)));
-- <<< sql/policies/relationships__endpoints_visible.sql

-- >>> sql/functions/knowledge/relate.sql
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
-- <<< sql/functions/knowledge/relate.sql

-- >>> sql/functions/knowledge/list_relationships.sql
-- The relationship records of one node that the caller can see: by default the current facts
-- (current knowledge, valid now), with as_of the facts valid at that time, with known_at what
-- cogdb knew then (cogdb.fact_holds), and with history every record ever written, superseded
-- ones included, oldest first. direction 'out', 'in' or 'both'; types narrows the types.
-- `other` is the node at the other end; from_node/to_node are canonical references
-- (memory:<id>, entity:<id>). A node the caller cannot see gives no rows, like a missing one.
CREATE OR REPLACE FUNCTION cogdb.list_relationships(node text, direction text DEFAULT 'both',
                                                    types text[] DEFAULT NULL,
                                                    as_of timestamptz DEFAULT NULL,
                                                    known_at timestamptz DEFAULT NULL,
                                                    history boolean DEFAULT false)
    RETURNS TABLE (id text, type text, edge_direction text, other text, from_node text,
                   to_node text, strength real, confidence real, metadata jsonb,
                   visibility text, owner_user_id uuid, valid_from timestamptz,
                   valid_to timestamptz, recorded_at timestamptz, superseded_at timestamptz,
                   superseded_by text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    -- Generic plans, planned once per session: a custom plan plans the relationships
    -- policies' probes over every partition of memories (43-55 ms a call at 81 partitions,
    -- 0.8-1.5 ms with the generic plan: revision 0035), which prune to the tenant's partition
    -- when the statement starts.
    SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_kind text;
    v_id text;
BEGIN
    IF direction IS NULL OR direction NOT IN ('out', 'in', 'both') THEN
        RAISE EXCEPTION 'direction must be out, in or both, got %',
                        coalesce(quote_literal(left(direction, 20)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'direction',
                  HINT = 'out: from this node; in: to this node; both (the default).';
    END IF;
    SELECT r.kind, r.id INTO v_kind, v_id FROM cogdb.resolve_node(node, 'node') r;
    IF v_id IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT e.id, e.type, e.dir,
           CASE WHEN e.dir = 'out' THEN e.to_ref ELSE e.from_ref END,
           e.from_ref, e.to_ref, e.strength, e.confidence, e.metadata, e.visibility,
           e.owner_user_id, e.valid_from, e.valid_to, e.recorded_at, e.superseded_at,
           e.superseded_by
      FROM (SELECT r.*, d.dir,
                   CASE WHEN r.from_memory_id IS NOT NULL THEN 'memory:' || r.from_memory_id
                        ELSE 'entity:' || r.from_entity_id END AS from_ref,
                   CASE WHEN r.to_memory_id IS NOT NULL THEN 'memory:' || r.to_memory_id
                        ELSE 'entity:' || r.to_entity_id END AS to_ref
              FROM cogdb.relationships r
             CROSS JOIN LATERAL (
                   SELECT 'out' AS dir
                    WHERE direction IN ('out', 'both')
                      AND (CASE v_kind WHEN 'memory' THEN r.from_memory_id
                                       ELSE r.from_entity_id END) = v_id
                   UNION ALL
                   SELECT 'in'
                    WHERE direction IN ('in', 'both')
                      AND (CASE v_kind WHEN 'memory' THEN r.to_memory_id
                                       ELSE r.to_entity_id END) = v_id) d
             -- the own tenant's only: a transaction that asked for shared rows reads other
             -- tenants' too, and node ids repeat across tenants
             WHERE (r.tenant_id = cogdb.current_tenant_id()) IS TRUE
               AND (r.from_memory_id = CASE WHEN v_kind = 'memory' THEN v_id END
                    OR r.from_entity_id = CASE WHEN v_kind = 'entity' THEN v_id END
                    OR r.to_memory_id = CASE WHEN v_kind = 'memory' THEN v_id END
                    OR r.to_entity_id = CASE WHEN v_kind = 'entity' THEN v_id END)
               AND (types IS NULL OR r.type = ANY (types))
               AND (history OR cogdb.fact_holds(r.valid_from, r.valid_to, r.recorded_at,
                                                r.superseded_at, as_of, known_at))) e
     ORDER BY e.recorded_at, e.id, e.dir;
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_relationships(text, text, text[], timestamptz, timestamptz, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_relationships(text, text, text[], timestamptz, timestamptz, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.list_relationships(text, text, text[], timestamptz, timestamptz, boolean) IS
    'The relationship records of one node the caller can see: current facts by default, as of a time, as known at a time, or the whole history.';
-- <<< sql/functions/knowledge/list_relationships.sql

-- >>> sql/functions/governance/policy_report.sql
-- The DBA report: one row per finding, none when the deployment is as docs/trust-model.md
-- describes it. `cogdb audit policies` prints it and exits non-zero on any row. Checks:
--   rls_not_forced       a table of schema cogdb without row security enabled and forced
--                        (partitions of cogdb.memories are fenced by their parent's policies;
--                        global registries are on policy_report_allowlist());
--   no_tenant_fence      a table without the RESTRICTIVE policy for all commands and roles
--                        `tenant_id = (SELECT cogdb.current_tenant_id())` (allowlist: exempt;
--                        memories: tenant_id among cogdb.readable_tenants() AND (that
--                        comparison OR its live read grants, cogdb.grant_covers),
--                        for reads only — WITH CHECK stays the comparison; the grants
--                        themselves are listed by cogdb.share_report(), not findings;
--                        relationships: the same, for another tenant's tenant-visible
--                        memory-to-memory relationships whose memories the caller reads;
--                        entities: the same with cogdb.entity_grant_covers;
--                        entity_observations: the same, for another tenant's observations
--                        whose entity the caller reads in that tenant);
--   definer_search_path  a SECURITY DEFINER function of schema cogdb without a pinned
--                        search_path ending in pg_temp (docs/conventions.md rule 2);
--   definer_public_execute  a SECURITY DEFINER function that PUBLIC may execute;
--   app_login_privileged a login that is a member of cogdb_app (directly or through other
--                        roles) and is superuser, BYPASSRLS or a member of cogdb_owner: RLS
--                        would not apply to it;
--   app_login_timeouts   a login member of cogdb_app without lock_timeout or
--                        idle_in_transaction_session_timeout (ALTER ROLE … SET, for this
--                        database or all; 0 counts as unset): it could stall every tenant
--                        behind a lock (docs/trust-model.md, Known limits);
--   public_database_access  CONNECT or TEMPORARY on the current database granted to PUBLIC
--                        (PostgreSQL's default on a new database);
--   policy_per_row_helper a policy of schema cogdb that calls a context helper
--                        (current_tenant_id, current_user_id, context_stamp,
--                        retention_horizon, retention_cutoffs) or reads app.* settings per row, not once per
--                        query inside a sub-select (an InitPlan; docs/conventions.md rule 3);
--                        one exception, in relationships__endpoints_visible only: the probe
--                        `WHERE m.id = relationships.<from|to>_memory_id AND m.tenant_id =
--                        cogdb.current_tenant_id() OFFSET 0` (once per probe, not per row).
-- Invoker: it reads only catalogs that every login may read, so the auditor runs it as itself.
CREATE OR REPLACE FUNCTION cogdb.policy_report()
    RETURNS TABLE (finding text, object text, detail text, hint text)
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE
    allow AS (SELECT * FROM cogdb.policy_report_allowlist()),
    tabs AS (
        SELECT c.oid, c.relname::text AS relname, c.relrowsecurity, c.relforcerowsecurity
          FROM pg_class c
         WHERE c.relnamespace = 'cogdb'::regnamespace AND c.relkind IN ('r', 'p')
           AND NOT EXISTS (SELECT FROM pg_inherits i
                            WHERE i.inhrelid = c.oid
                              AND i.inhparent = 'cogdb.memories'::regclass)),
    -- every (member, role) pair of pg_auth_members, transitively
    membership(member, roleid) AS (
        SELECT a.member, a.roleid FROM pg_auth_members a
        UNION
        SELECT a.member, m.roleid FROM pg_auth_members a JOIN membership m ON m.member = a.roleid),
    app_logins AS (
        SELECT r.oid, r.rolname::text AS rolname, r.rolsuper, r.rolbypassrls,
               EXISTS (SELECT FROM membership m WHERE m.member = r.oid
                          AND m.roleid = 'cogdb_owner'::regrole) AS owner_member
          FROM pg_roles r
         WHERE r.rolcanlogin
           AND EXISTS (SELECT FROM membership m WHERE m.member = r.oid
                          AND m.roleid = 'cogdb_app'::regrole)),
    login_settings AS (
        SELECT l.oid, split_part(cfg, '=', 1) AS name, substr(cfg, strpos(cfg, '=') + 1) AS value
          FROM app_logins l
          JOIN pg_db_role_setting s
            ON s.setrole IN (l.oid, 0)
           AND s.setdatabase IN (0, (SELECT d.oid FROM pg_database d
                                      WHERE d.datname = current_database()))
          CROSS JOIN LATERAL unnest(s.setconfig) cfg),
    definers AS (
        SELECT p.oid, p.oid::regprocedure::text AS signature, p.proacl,
               (SELECT substr(cfg, 13) FROM unnest(p.proconfig) cfg
                 WHERE cfg LIKE 'search_path=%') AS search_path
          FROM pg_proc p
         WHERE p.pronamespace = 'cogdb'::regnamespace AND p.prosecdef),
    helpers(pattern) AS (
        VALUES ('(current_tenant_id|current_user_id|context_stamp|retention_cutoffs|retention_horizon)\(|current_setting\(''app\.')),
    policies AS (
        SELECT p.tablename::text || '.' || p.policyname::text AS name,
               -- the helpers read once per query: ( SELECT cogdb.h() AS h), removed; and
               -- in relationships__endpoints_visible only, the tenant named in a probe of a
               -- memory by its id (read once per probe, as its index condition, so the
               -- partition is pruned when the statement starts: docs/conventions.md rule 3).
               -- Matched in pg_policies' own layout, indentation included: the same probe
               -- nested deeper is indented differently and stays a finding.
               regexp_replace(
                   CASE WHEN p.tablename = 'relationships'
                             AND p.policyname = 'relationships__endpoints_visible'
                        THEN regexp_replace(coalesce(p.qual, '') || ' ' || coalesce(p.with_check, ''),
                                            'FROM cogdb\.memories m\n  WHERE \(\(m\.id = relationships\.(from|to)_memory_id\) AND \(m\.tenant_id = cogdb\.current_tenant_id\(\)\)\)\n OFFSET 0\)',
                                            '', 'g')
                        ELSE coalesce(p.qual, '') || ' ' || coalesce(p.with_check, '') END,
                   '\( SELECT cogdb\.(current_tenant_id|current_user_id|context_stamp|retention_cutoffs|retention_horizon)\(\) AS \1\)',
                   '', 'g') AS rest
          FROM pg_policies p WHERE p.schemaname = 'cogdb')
    SELECT 'rls_not_forced', 'cogdb.' || t.relname,
           CASE WHEN NOT t.relrowsecurity THEN 'row level security is not enabled'
                ELSE 'row level security is enabled but not forced (the owner bypasses it)' END,
           format('ALTER TABLE cogdb.%I ENABLE ROW LEVEL SECURITY; ALTER TABLE cogdb.%I FORCE ROW LEVEL SECURITY;',
                  t.relname, t.relname)
      FROM tabs t
     WHERE NOT (t.relrowsecurity AND t.relforcerowsecurity)
       AND NOT EXISTS (SELECT FROM allow a WHERE a.table_name = t.relname AND a.exempt = 'rls')
    UNION ALL
    SELECT 'no_tenant_fence', 'cogdb.' || t.relname,
           'no RESTRICTIVE policy FOR ALL TO PUBLIC USING (tenant_id = (SELECT cogdb.current_tenant_id()))',
           format('CREATE POLICY %I ON cogdb.%I AS RESTRICTIVE FOR ALL TO PUBLIC USING (tenant_id = (SELECT cogdb.current_tenant_id())) WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id())); or list it in cogdb.policy_report_allowlist() with the reason',
                  t.relname || '__tenant_fence', t.relname)
      FROM tabs t
     WHERE NOT EXISTS (SELECT FROM allow a WHERE a.table_name = t.relname)
       AND NOT EXISTS (
           SELECT FROM pg_policies p
            WHERE p.schemaname = 'cogdb' AND p.tablename = t.relname
              AND p.permissive = 'RESTRICTIVE' AND p.cmd = 'ALL' AND p.roles = '{public}'
              AND (p.qual = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'
                   AND (p.with_check IS NULL OR p.with_check = p.qual)
                   -- memories: the fence widened by live read grants (sharing), never for
                   -- writes; every live grant is listed by cogdb.share_report()
                   OR t.relname = 'memories'
                   AND p.qual = '((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id)) OR cogdb.grant_covers((( SELECT cogdb.live_grants() AS live_grants) -> (tenant_id)::text), visibility, id, context_type, tags, created_at, anonymised_at)))'
                   AND p.with_check = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'
                   -- relationships: widened the same way for the memory-to-memory
                   -- relationships of a tenant that shares both memories (traversal; one
                   -- per-row lookup of both since revision 0035)
                   OR t.relname = 'relationships'
                   AND p.qual = E'((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id)) OR ((visibility = \'tenant\'::text) AND (from_entity_id IS NULL) AND (to_entity_id IS NULL) AND (( SELECT count(*) AS count\n   FROM cogdb.memories m\n  WHERE ((m.id = ANY (ARRAY[relationships.from_memory_id, relationships.to_memory_id])) AND ((m.tenant_id = relationships.tenant_id) IS TRUE))\n OFFSET 0) =\nCASE\n    WHEN (from_memory_id = to_memory_id) THEN 1\n    ELSE 2\nEND))))'
                   AND p.with_check = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'
                   -- entities: widened by the entity criteria of live read grants
                   OR t.relname = 'entities'
                   AND p.qual = '((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id)) OR cogdb.entity_grant_covers((( SELECT cogdb.live_grants() AS live_grants) -> (tenant_id)::text), visibility, id, entity_type)))'
                   AND p.with_check = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'
                   -- entity_observations: another tenant's, when the caller reads its entity there
                   OR t.relname = 'entity_observations'
                   AND p.qual = E'((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id)) OR (EXISTS ( SELECT\n   FROM cogdb.entities e\n  WHERE ((e.tenant_id = entity_observations.tenant_id) AND (e.id = entity_observations.entity_id))\n OFFSET 0))))'
                   AND p.with_check = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'
                   -- memory_embeddings: another tenant's, when the caller reads its memory
                   -- there (a shared source settling a model migration)
                   OR t.relname = 'memory_embeddings'
                   AND p.qual = E'((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id)) OR (EXISTS ( SELECT\n   FROM cogdb.memories m\n  WHERE ((m.tenant_id = memory_embeddings.tenant_id) AND (m.id = memory_embeddings.memory_id))\n OFFSET 0))))'
                   AND p.with_check = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'))
    UNION ALL
    SELECT 'definer_search_path', d.signature,
           coalesce('search_path is ' || d.search_path, 'search_path is not set'),
           format('ALTER FUNCTION %s SET search_path = pg_catalog, pg_temp;', d.signature)
      FROM definers d
     WHERE d.search_path IS NULL
        OR btrim((string_to_array(d.search_path, ','))[cardinality(string_to_array(d.search_path, ','))], ' "') <> 'pg_temp'
    UNION ALL
    SELECT 'definer_public_execute', d.signature,
           'PUBLIC may execute this SECURITY DEFINER function',
           format('REVOKE ALL ON FUNCTION %s FROM PUBLIC; then GRANT EXECUTE to the roles that need it', d.signature)
      FROM definers d
     WHERE d.proacl IS NULL
        OR EXISTS (SELECT FROM aclexplode(d.proacl) x
                    WHERE x.grantee = 0 AND x.privilege_type = 'EXECUTE')
    UNION ALL
    SELECT 'app_login_privileged', l.rolname,
           'member of cogdb_app and ' || concat_ws(', ',
               CASE WHEN l.rolsuper THEN 'superuser' END,
               CASE WHEN l.rolbypassrls THEN 'BYPASSRLS' END,
               CASE WHEN l.owner_member THEN 'a member of cogdb_owner' END)
               || ': row level security does not apply to it',
           format('Use a separate login for the app: ALTER ROLE %I NOSUPERUSER NOBYPASSRLS; REVOKE cogdb_owner FROM %I;',
                  l.rolname, l.rolname)
      FROM app_logins l
     WHERE l.rolsuper OR l.rolbypassrls OR l.owner_member
    UNION ALL
    SELECT 'app_login_timeouts', l.rolname,
           'member of cogdb_app without ' || concat_ws(' and ',
               CASE WHEN NOT EXISTS (SELECT FROM login_settings s WHERE s.oid = l.oid
                                        AND s.name = 'lock_timeout' AND s.value NOT IN ('0', ''))
                    THEN 'lock_timeout' END,
               CASE WHEN NOT EXISTS (SELECT FROM login_settings s WHERE s.oid = l.oid
                                        AND s.name = 'idle_in_transaction_session_timeout'
                                        AND s.value NOT IN ('0', ''))
                    THEN 'idle_in_transaction_session_timeout' END),
           format('ALTER ROLE %I SET lock_timeout = ''5s''; ALTER ROLE %I SET idle_in_transaction_session_timeout = ''60s'';',
                  l.rolname, l.rolname)
      FROM app_logins l
     WHERE NOT EXISTS (SELECT FROM login_settings s WHERE s.oid = l.oid
                          AND s.name = 'lock_timeout' AND s.value NOT IN ('0', ''))
        OR NOT EXISTS (SELECT FROM login_settings s WHERE s.oid = l.oid
                          AND s.name = 'idle_in_transaction_session_timeout'
                          AND s.value NOT IN ('0', ''))
    UNION ALL
    SELECT 'public_database_access', 'database ' || d.datname::text,
           'PUBLIC has ' || string_agg(x.privilege_type, ' and ' ORDER BY x.privilege_type)
               || ' on the database',
           format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC; GRANT CONNECT ON DATABASE %I TO cogdb_app, cogdb_admin, cogdb_auditor; GRANT TEMPORARY ON DATABASE %I TO cogdb_app, cogdb_owner;',
                  d.datname, d.datname, d.datname)
      FROM pg_database d
      CROSS JOIN LATERAL aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) x
     WHERE d.datname = current_database() AND x.grantee = 0
       AND x.privilege_type IN ('CONNECT', 'TEMPORARY')
     GROUP BY d.datname
    UNION ALL
    SELECT 'policy_per_row_helper', 'policy ' || p.name,
           'calls a context helper (or reads app.* settings) per row, outside a sub-select',
           'Wrap the helper in a sub-select, (SELECT cogdb.current_tenant_id()), so it is an InitPlan read once per query'
      FROM policies p
     WHERE p.rest ~ (SELECT h.pattern FROM helpers h)
    ORDER BY 1, 2
$$;

REVOKE ALL ON FUNCTION cogdb.policy_report() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.policy_report() TO cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.policy_report() IS
    'The DBA report: one row per finding (tables without forced RLS or a tenant fence, definer functions without a pinned search_path or executable by PUBLIC, privileged or timeout-less app logins, PUBLIC access to the database, policies that read the context per row); none when all is well.';
-- <<< sql/functions/governance/policy_report.sql

RESET ROLE;
