-- Merges entity `other` into `survivor` (references as for resolve_node; both visible to the
-- caller, two different entities) and returns the survivor's id with what moved:
--   * the survivor's data becomes jsonb_merge(other.data, survivor.data) (the survivor's
--     values win; keys only the other had are kept), update_count the sum, first_seen the
--     earlier and last_seen the later of the two;
--   * the other's observations move to the survivor (each kept once);
--   * relationships of the other move to the survivor: re-pointed (history too), or
--     superseded when the survivor already has the same active fact, or when they joined
--     the two (a self-loop); relationships_moved counts the current ones re-pointed;
--   * the other stays as an alias: merged_into = survivor, so lookups by its key (and by the
--     keys of entities merged into it before) return the survivor.
-- A shared (tenant) entity can only be merged into a shared one: its users would lose it
-- otherwise.
--
-- Definer, because relationships of the other that the caller cannot see (private to another
-- user, or to a node only another user sees) must move too: it takes, in turn, the context of
-- the tenant without a user and of each of its users (enter_tenant), moves what each one
-- sees, and restores the caller's context. The counts returned are what the caller can see.
-- Besides the audit records of the rows it changes, it appends an audit note 'entity.merge'.
CREATE OR REPLACE FUNCTION cogdb.merge_entities(survivor text, other text)
    RETURNS TABLE (id text, merged text, observations_moved integer,
                   relationships_moved integer, relationships_superseded integer)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.require_tenant('merging entities');
    v_caller text[];
    v_user uuid;
    v_sk text;
    v_sid text;
    v_ok text;
    v_oid text;
    v_s cogdb.entities;
    v_o cogdb.entities;
    v_obs integer;
    v_moved integer := 0;
    v_superseded integer := 0;
    v_mine boolean;
    v_n integer;
BEGIN
    SELECT r.kind, r.id INTO v_sk, v_sid FROM cogdb.resolve_node(survivor, 'survivor') r;
    SELECT r.kind, r.id INTO v_ok, v_oid FROM cogdb.resolve_node(other, 'other') r;
    IF v_sid IS NULL OR v_oid IS NULL OR v_sk <> 'entity' OR v_ok <> 'entity' THEN
        RAISE EXCEPTION 'no entity % in this context',
                        quote_literal(left(CASE WHEN v_sid IS NULL OR v_sk <> 'entity' THEN survivor
                                                ELSE other END, 80))
            USING ERRCODE = 'CGN01',
                  COLUMN = CASE WHEN v_sid IS NULL OR v_sk <> 'entity' THEN 'survivor' ELSE 'other' END,
                  HINT = 'Both must be entities the context can see.';
    END IF;
    IF v_sid = v_oid THEN
        RAISE EXCEPTION 'survivor and other are the same entity'
            USING ERRCODE = 'CGV01', COLUMN = 'other',
                  HINT = 'The other may already have been merged into the survivor.';
    END IF;
    -- Lock both, in id order (two merges of the same pair cannot deadlock).
    PERFORM FROM cogdb.entities e WHERE e.tenant_id = v_tenant AND e.id IN (v_sid, v_oid)
     ORDER BY e.id FOR UPDATE;
    SELECT * INTO v_s FROM cogdb.entities e WHERE e.tenant_id = v_tenant AND e.id = v_sid;
    SELECT * INTO v_o FROM cogdb.entities e WHERE e.tenant_id = v_tenant AND e.id = v_oid;
    IF v_o.visibility = 'tenant' AND v_s.visibility = 'private' THEN
        RAISE EXCEPTION 'a shared entity can only be merged into a shared one'
            USING ERRCODE = 'CGV01', COLUMN = 'survivor',
                  HINT = 'Make the survivor shared first (upsert it with visibility tenant).';
    END IF;

    UPDATE cogdb.entities e
       SET data = cogdb.jsonb_merge(v_o.data, e.data),
           update_count = e.update_count + v_o.update_count,
           first_seen = least(e.first_seen, v_o.first_seen),
           last_seen = greatest(e.last_seen, v_o.last_seen, now())
     WHERE e.tenant_id = v_tenant AND e.id = v_sid;
    WITH gone AS (
        DELETE FROM cogdb.entity_observations o WHERE o.tenant_id = v_tenant AND o.entity_id = v_oid
        RETURNING o.observation, o.created_at
    ), added AS (
        INSERT INTO cogdb.entity_observations AS o (entity_id, observation, created_at)
        SELECT v_sid, g.observation, g.created_at FROM gone g
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT count(*) INTO v_obs FROM gone;

    -- Relationships and aliases of the other, in every context that sees some of them.
    v_caller := cogdb.enter_tenant(v_tenant, NULL);
    -- The caller's own context first, so the counts returned are what it sees.
    FOR v_user, v_mine IN
        SELECT x.id, m.mine FROM (
            SELECT NULL::uuid AS id
            UNION ALL
            SELECT u.id FROM cogdb.users u) x
         CROSS JOIN LATERAL (SELECT x.id IS NOT DISTINCT FROM nullif(v_caller[2], '')::uuid AS mine) m
         ORDER BY m.mine DESC, x.id NULLS FIRST
    LOOP
        PERFORM cogdb.enter_tenant(v_tenant, v_user);
        -- Superseded instead of moved: self-loops, and facts the survivor already has.
        UPDATE cogdb.relationships r SET superseded_at = now(), superseded_by = (
                   SELECT s.id FROM cogdb.relationships s
                    WHERE s.tenant_id = v_tenant AND s.superseded_at IS NULL AND s.valid_to IS NULL
                      AND s.type = r.type
                      AND s.visibility = r.visibility
                      AND s.owner_user_id IS NOT DISTINCT FROM
                          CASE WHEN r.visibility = 'private' THEN r.owner_user_id ELSE s.owner_user_id END
                      AND (s.from_memory_id, s.from_entity_id, s.to_memory_id, s.to_entity_id)
                          IS NOT DISTINCT FROM
                          (r.from_memory_id,
                           CASE WHEN r.from_entity_id = v_oid THEN v_sid ELSE r.from_entity_id END,
                           r.to_memory_id,
                           CASE WHEN r.to_entity_id = v_oid THEN v_sid ELSE r.to_entity_id END)
                    LIMIT 1)
         WHERE r.tenant_id = v_tenant AND (r.from_entity_id = v_oid OR r.to_entity_id = v_oid)
           AND r.superseded_at IS NULL
           AND ((r.from_entity_id = v_oid AND r.to_entity_id = v_sid)
                OR (r.from_entity_id = v_sid AND r.to_entity_id = v_oid)
                OR (r.valid_to IS NULL AND EXISTS (
                    SELECT FROM cogdb.relationships s
                     WHERE s.tenant_id = v_tenant AND s.superseded_at IS NULL AND s.valid_to IS NULL
                      AND s.type = r.type
                       AND s.visibility = r.visibility
                       AND (r.visibility = 'tenant' OR s.owner_user_id = r.owner_user_id)
                       AND (s.from_memory_id, s.from_entity_id, s.to_memory_id, s.to_entity_id)
                           IS NOT DISTINCT FROM
                           (r.from_memory_id,
                            CASE WHEN r.from_entity_id = v_oid THEN v_sid ELSE r.from_entity_id END,
                            r.to_memory_id,
                            CASE WHEN r.to_entity_id = v_oid THEN v_sid ELSE r.to_entity_id END))));
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_superseded := v_superseded + CASE WHEN v_mine THEN v_n ELSE 0 END;
        -- Re-pointed: everything else, history included (counted: the current ones).
        WITH moved AS (
            UPDATE cogdb.relationships r
               SET from_entity_id = CASE WHEN r.from_entity_id = v_oid THEN v_sid ELSE r.from_entity_id END,
                   to_entity_id = CASE WHEN r.to_entity_id = v_oid THEN v_sid ELSE r.to_entity_id END
             WHERE r.tenant_id = v_tenant AND (r.from_entity_id = v_oid OR r.to_entity_id = v_oid)
               AND NOT (r.superseded_at IS NOT NULL
                        AND (r.from_entity_id = v_sid OR r.to_entity_id = v_sid))
            RETURNING r.superseded_at
        )
        SELECT count(*) FILTER (WHERE m.superseded_at IS NULL) INTO v_n FROM moved m;
        v_moved := v_moved + CASE WHEN v_mine THEN v_n ELSE 0 END;
        UPDATE cogdb.entities e SET merged_into = v_sid
         WHERE e.tenant_id = v_tenant AND e.merged_into = v_oid;
    END LOOP;
    PERFORM cogdb.restore_context(v_caller);

    UPDATE cogdb.entities e SET merged_into = v_sid WHERE e.tenant_id = v_tenant AND e.id = v_oid;
    -- The merge as one audit note beside the records of the rows it changed.
    PERFORM cogdb.audit_note('entity.merge', jsonb_build_object(
        'survivor', v_sid, 'merged', v_oid, 'observations_moved', v_obs,
        'relationships_moved', v_moved, 'relationships_superseded', v_superseded));
    RETURN QUERY SELECT v_sid, v_oid, v_obs, v_moved, v_superseded;
END
$$;

REVOKE ALL ON FUNCTION cogdb.merge_entities(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.merge_entities(text, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.merge_entities(text, text) IS
    'Merges one entity into another: data, observations and relationships move to the survivor, and the other becomes an alias that resolves to it.';
