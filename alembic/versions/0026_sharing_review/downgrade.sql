-- cogdb revision 0026 (sharing_review): downgrade, written by `python -m tools.freeze 0026` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

REVOKE ALL ON FUNCTION cogdb.reindex_text(uuid) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.reindex_text(uuid) IS NULL;
-- sql/functions/knowledge/reindex_text.sql as frozen in revision 0008
-- Indexes again every memory and entity of one tenant in its current search.language (after
-- set_tenant_setting changed it) and returns how many index rows it wrote. FORCE RLS fences
-- the owner too, so it takes the tenant's context without a user for the shared rows and each
-- user's context for that user's private rows (enter_tenant), then restores the caller's.
-- Owner-only: set_tenant_setting (definer) calls it.
CREATE OR REPLACE FUNCTION cogdb.reindex_text(tenant_id uuid) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_caller text[] := cogdb.enter_tenant(tenant_id, NULL);
    v_language regconfig := cogdb.tenant_language(tenant_id);
    v_user uuid;
    v_total bigint := 0;
    v_n bigint;
BEGIN
    FOR v_user IN SELECT NULL::uuid UNION ALL (SELECT u.id FROM cogdb.users u ORDER BY u.id) LOOP
        PERFORM cogdb.enter_tenant(tenant_id, v_user);
        UPDATE cogdb.text_index x
           SET language = v_language,
               tsv = setweight(to_tsvector(v_language, coalesce(m.summary, '')), 'A')
                     || setweight(to_tsvector(v_language, m.human_content || ' ' || m.assistant_content), 'B')
          FROM cogdb.memories m
         WHERE x.tenant_id = m.tenant_id AND x.memory_id = m.id
           AND (CASE WHEN v_user IS NULL THEN m.visibility = 'tenant'
                     ELSE m.visibility = 'private' AND m.owner_user_id = v_user END);
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_total := v_total + v_n;
        UPDATE cogdb.text_index x
           SET language = v_language,
               tsv = setweight(to_tsvector(v_language, e.name), 'A')
                     || setweight(to_tsvector(v_language, coalesce(
                            (SELECT string_agg(o.observation, E'\n' ORDER BY o.created_at, o.observation)
                               FROM cogdb.entity_observations o
                              WHERE o.tenant_id = e.tenant_id AND o.entity_id = e.id), '')), 'B')
                     || setweight(to_tsvector(v_language, e.entity_type), 'C')
          FROM cogdb.entities e
         WHERE x.tenant_id = e.tenant_id AND x.entity_id = e.id
           AND (CASE WHEN v_user IS NULL THEN e.visibility = 'tenant'
                     ELSE e.visibility = 'private' AND e.owner_user_id = v_user END);
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_total := v_total + v_n;
    END LOOP;
    PERFORM cogdb.restore_context(v_caller);
    RETURN v_total;
END
$$;

REVOKE ALL ON FUNCTION cogdb.reindex_text(uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.reindex_text(uuid) IS
    'Indexes every memory and entity of a tenant again in its current search.language; owner-only (set_tenant_setting calls it).';

REVOKE ALL ON FUNCTION cogdb.merge_entities(text, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.merge_entities(text, text) IS NULL;
-- sql/functions/knowledge/merge_entities.sql as frozen in revision 0022
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
                    WHERE s.superseded_at IS NULL AND s.valid_to IS NULL AND s.type = r.type
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
         WHERE (r.from_entity_id = v_oid OR r.to_entity_id = v_oid) AND r.superseded_at IS NULL
           AND ((r.from_entity_id = v_oid AND r.to_entity_id = v_sid)
                OR (r.from_entity_id = v_sid AND r.to_entity_id = v_oid)
                OR (r.valid_to IS NULL AND EXISTS (
                    SELECT FROM cogdb.relationships s
                     WHERE s.superseded_at IS NULL AND s.valid_to IS NULL AND s.type = r.type
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
             WHERE (r.from_entity_id = v_oid OR r.to_entity_id = v_oid)
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

REVOKE ALL ON FUNCTION cogdb.note_shared_read(uuid, text, integer, integer) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.note_shared_read(uuid, text, integer, integer) IS NULL;
-- sql/functions/sharing/note_shared_read.sql as frozen in revision 0022
-- Leaves a note in the source tenant's audit chain that the context tenant read `memories` of
-- its shared memories and `entities` of its shared entities through `via` (search, get,
-- neighbors, get_entity, list_entities, hybrid_search): counts, never ids or content
-- (audit_note). Only for a source whose live grant the context holds, else nothing (so
-- the app, which search and get run as, can add notes only to the chains of tenants that
-- share with it). Definer:
-- it enters the source tenant to write its note (enter_tenant) and puts the caller's
-- context back.
CREATE OR REPLACE FUNCTION cogdb.note_shared_read(source_tenant uuid, via text, memories integer,
                                                  entities integer DEFAULT 0)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_grantee uuid := cogdb.require_tenant('a shared read');
    v_user uuid := cogdb.current_user_id();
    v_saved text[];
BEGIN
    IF memories IS NULL OR memories < 0 OR entities IS NULL OR entities < 0
       OR memories + entities < 1 OR via IS NULL
       OR via NOT IN ('search', 'get', 'neighbors', 'get_entity', 'list_entities', 'hybrid_search')
       OR NOT EXISTS (SELECT FROM cogdb.share_receipts r
                       WHERE r.tenant_id = v_grantee AND r.source_tenant_id = source_tenant
                         AND r.revoked_at IS NULL
                         AND (r.expires_at IS NULL OR r.expires_at > now())) THEN
        RETURN;
    END IF;
    v_saved := cogdb.enter_tenant(source_tenant);
    PERFORM cogdb.audit_note('share.read', jsonb_build_object(
        'grantee', v_grantee, 'user', v_user, 'via', via, 'memories', memories)
        || CASE WHEN entities > 0 THEN jsonb_build_object('entities', entities)
                ELSE '{}' END);
    PERFORM cogdb.restore_context(v_saved);
END
$$;

REVOKE ALL ON FUNCTION cogdb.note_shared_read(uuid, text, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.note_shared_read(uuid, text, integer, integer) TO cogdb_app;
COMMENT ON FUNCTION cogdb.note_shared_read(uuid, text, integer, integer) IS
    'Notes a shared read (grantee, user, path, counts of memories and entities; never content) in the source tenant''s audit chain.';

REVOKE ALL ON FUNCTION cogdb.live_grants() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.live_grants() IS NULL;
-- sql/functions/sharing/live_grants.sql as frozen in revision 0022
-- The grants the context tenant holds and may read through now, for the memories and
-- entities fences, by source tenant: {"<source uuid>": {"g": [{"c": [context types], "g":
-- [tags], "i": [memory ids]}, …], "e": [{"t": [entity types], "i": [entity ids]}, …], "h":
-- <epoch seconds>}} ("g": the grants that name memory criteria, "e": those that name entity
-- criteria, each always an array, possibly empty, so that a grant naming entities only never
-- matches a memory and the other way round; a grant leaves out a criterion it does not
-- narrow by; "h" is the source's retention_horizon(), the youngest of its age cutoffs, -1e15
-- without one). NULL unless the transaction asked for shared rows (app.include_shared holds
-- this transaction's stamp: set by search, get, get_entity, list_entities and hybrid_search
-- for their own statements, see share_request) or when no live grant exists. Live: not
-- revoked, not expired (read at each statement, so a revocation or an expiry applies to the
-- next one). "h" goes with the grants so that grant_covers hides what the source's retention
-- hides (memories__retained computes the context tenant's cutoffs only): conservatively,
-- every shared memory older than the source's shortest max_age (unless anonymised), even
-- where a more specific policy of the source keeps it longer. Definer: FORCE RLS fences the
-- owner too, so it reads the grantee's copies in the caller's context and each source's
-- policies inside the source (enter_tenant), then puts the context back. Called once per
-- query (an InitPlan in memories__tenant_fence and entities__tenant_fence), and only for a
-- row of another tenant.
CREATE OR REPLACE FUNCTION cogdb.live_grants() RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
    v_out jsonb := '{}';
    v_saved text[];
    r record;
BEGIN
    IF v_tenant IS NULL
       OR current_setting('app.include_shared', true) IS DISTINCT FROM cogdb.context_stamp() THEN
        RETURN NULL;
    END IF;
    FOR r IN
        SELECT s.source_tenant_id AS source,
               coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                   'c', to_jsonb(s.context_types), 'g', to_jsonb(s.tags),
                   'i', to_jsonb(s.memory_ids))))
                   FILTER (WHERE s.context_types IS NOT NULL OR s.tags IS NOT NULL
                              OR s.memory_ids IS NOT NULL), '[]') AS grants,
               coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                   't', to_jsonb(s.entity_types), 'i', to_jsonb(s.entity_ids))))
                   FILTER (WHERE s.entity_types IS NOT NULL OR s.entity_ids IS NOT NULL),
                   '[]') AS entity_grants
          FROM cogdb.share_receipts s
         WHERE s.tenant_id = v_tenant AND s.revoked_at IS NULL
           AND (s.expires_at IS NULL OR s.expires_at > now())
         GROUP BY s.source_tenant_id
    LOOP
        v_saved := cogdb.enter_tenant(r.source);
        v_out := v_out || jsonb_build_object(r.source::text, jsonb_build_object(
            'g', r.grants, 'e', r.entity_grants,
            'h', greatest(extract(epoch FROM cogdb.retention_horizon()), -1e15)));
        PERFORM cogdb.restore_context(v_saved);
    END LOOP;
    RETURN nullif(v_out, '{}');
END
$$;

REVOKE ALL ON FUNCTION cogdb.live_grants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.live_grants() TO cogdb_app;
COMMENT ON FUNCTION cogdb.live_grants() IS
    'The context tenant''s live read grants by source tenant (memory and entity criteria apart), with each source''s retention horizon, when the transaction asked for shared rows (else NULL); read once per query by the memories and entities fences.';

RESET ROLE;
