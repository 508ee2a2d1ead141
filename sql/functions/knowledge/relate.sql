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
    -- fence's lookup for shared rows is pruned away too, unless the transaction asked for
    -- shared rows: revision 0038).
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
