-- Hybrid search: full-text and vector ranking fused by reciprocal rank fusion (RRF), over the
-- memories, entity names and observations the caller may see. Returns the k best, best first
-- (ties by kind, then id), with the score, each half's rank (NULL where a half did not find
-- the node), the cosine similarity and the text rank, and the node's display fields (a
-- memory's, or an entity's name and type; the other kind's are NULL).
--
--   score = text_weight / (rrf_k + text rank) + vector_weight / (rrf_k + vector rank)
--
-- query_text alone runs the text half, query_vector alone the vector half, both run both.
-- The text half: cogdb.text_query (web-search syntax, the tenant's search.language, words
-- OR-ed) against the owner-only text index through cogdb.text_candidates, joined back to
-- memories and entities under their policies and the filters. The vector half: cogdb.search
-- itself for memories (its plan, exact or the tenant's ANN index, is in `plan`) and an exact
-- scan of the entities that have an embedding of the same model (while a model migration of
-- the tenant settles onto that model, also of the entities not moved yet, through their
-- current vector of it in entity_embeddings: revision 0033). Each half contributes its
-- best `candidates` (default 50, at least k, at most 1000); with filters the text half
-- fetches four times as many before filtering.
-- Filters are search's; they narrow memories. Entities have no conversation, source, context
-- type, tags or metadata: any of those filters leaves entities out; owner and visibility
-- apply to them, created_after/before to their first_seen. include_entities => false leaves
-- them out. Every row carries tenant_id, the tenant the node lives in. Reads only (but for
-- the audit note below); no context, no rows.
--
-- include_shared => true adds what the live grants the context holds share with it: the text
-- half also runs in each source tenant (shared_text_candidates: the same matching, over the
-- rows a grant covers only), the vector half searches each source's memories on its own
-- (search_tenant, as search(include_shared) does) and the covered entities, and nodes are
-- told apart by (kind, tenant, id). The request lasts for this call only (share_request(true),
-- then share_request(false)); each source tenant whose nodes are returned gets a note in its
-- audit chain (note_shared_read: how many memories and entities, never which). Every
-- statement names its tenants (docs/conventions.md rule 3).
CREATE OR REPLACE FUNCTION cogdb.hybrid_search(query_text text DEFAULT NULL,
                                               query_vector public.vector DEFAULT NULL,
                                               k integer DEFAULT 10,
                                               model text DEFAULT NULL,
                                               only_conversation text DEFAULT NULL,
                                               only_source text DEFAULT NULL,
                                               only_context_type text DEFAULT NULL,
                                               tags_any text[] DEFAULT NULL,
                                               created_after timestamptz DEFAULT NULL,
                                               created_before timestamptz DEFAULT NULL,
                                               only_owner uuid DEFAULT NULL,
                                               only_visibility text DEFAULT NULL,
                                               ef_search integer DEFAULT NULL,
                                               metadata_filter jsonb DEFAULT NULL,
                                               rrf_k integer DEFAULT 60,
                                               text_weight double precision DEFAULT 1,
                                               vector_weight double precision DEFAULT 1,
                                               candidates integer DEFAULT 50,
                                               include_entities boolean DEFAULT true,
                                               include_shared boolean DEFAULT false)
    RETURNS TABLE (kind text, id text, score double precision, text_rank integer,
                   vector_rank integer, similarity double precision, text_score real,
                   name text, entity_type text, conversation_id text, human_content text,
                   assistant_content text, summary text, context_type text, source text,
                   created_at timestamptz, visibility text, owner_user_id uuid, tags jsonb,
                   metadata jsonb, plan text, tenant_id uuid)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_max_k integer := cogdb.int_setting('search.max_k');
    v_text tsquery;
    v_use_text boolean;
    v_use_vector boolean := query_vector IS NOT NULL AND vector_weight > 0;
    v_cand integer;
    v_text_fetch integer;
    v_model text;
    v_entities boolean;
    v_filtered boolean;
    v_plan text;
    v_tenant uuid := cogdb.current_tenant_id();
    v_tenants uuid[];
    v_asked boolean := false;
    v_tkind text[] := '{}';
    v_ttenant uuid[] := '{}';
    v_tid text[] := '{}';
    v_trank real[] := '{}';
    v_keep text[];
    v_mids text[] := '{}';
    v_vid text[] := '{}';
    v_vtenant uuid[] := '{}';
    v_vsim double precision[] := '{}';
    v_vplan text;
    v_default text;
    v_side regclass;
    v_entity_side boolean := false;   -- entities of the tenant settling onto v_model
    v_entity_none boolean := false;   -- v_model is not the model the tenant settles onto
BEGIN
    IF v_tenant IS NULL THEN
        RETURN;  -- no context: nothing is visible
    END IF;
    IF k IS NULL OR k NOT BETWEEN 1 AND v_max_k THEN
        RAISE EXCEPTION 'k must be between 1 and %, got %', v_max_k, coalesce(k::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'k',
                  HINT = 'k is how many results to return; the maximum is settings.search.max_k.';
    END IF;
    IF rrf_k IS NULL OR rrf_k < 1 THEN
        RAISE EXCEPTION 'rrf_k must be at least 1, got %', coalesce(rrf_k::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'rrf_k',
                  HINT = 'The fusion constant; 60 is the usual value. Larger flattens the ranks.';
    END IF;
    IF text_weight IS NULL OR vector_weight IS NULL OR text_weight < 0 OR vector_weight < 0
       OR text_weight = 'NaN' OR vector_weight = 'NaN' THEN
        RAISE EXCEPTION 'text_weight and vector_weight must be numbers >= 0'
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN text_weight IS NULL OR NOT text_weight >= 0 OR text_weight = 'NaN'
                                THEN 'text_weight' ELSE 'vector_weight' END,
                  HINT = 'Both default to 1; 0 turns a half off.';
    END IF;
    IF candidates IS NULL OR candidates NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'candidates must be between 1 and 1000, got %', coalesce(candidates::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'candidates',
                  HINT = 'How many results each half contributes to the fusion (default 50).';
    END IF;
    IF only_visibility IS NOT NULL AND NOT only_visibility = ANY (cogdb.allowed_values('visibility')) THEN
        RAISE EXCEPTION 'only_visibility must be private or tenant, got %', quote_literal(only_visibility)
            USING ERRCODE = 'CGV01', COLUMN = 'only_visibility',
                  HINT = 'Leave it out to search everything the context may see.';
    END IF;
    IF nullif(btrim(query_text), '') IS NULL AND query_vector IS NULL THEN
        RAISE EXCEPTION 'hybrid search needs query_text, query_vector or both'
            USING ERRCODE = 'CGV01', COLUMN = 'query_text',
                  HINT = 'Pass the text (full-text half) and its embedding (vector half).';
    END IF;
    IF text_weight = 0 AND vector_weight = 0 THEN
        RAISE EXCEPTION 'text_weight and vector_weight are both 0: nothing would rank'
            USING ERRCODE = 'CGV01', COLUMN = 'text_weight', HINT = 'Leave them out for 1 each.';
    END IF;
    IF nullif(btrim(query_text), '') IS NOT NULL AND text_weight > 0 THEN
        v_text := cogdb.text_query(query_text);
    END IF;
    v_use_text := v_text IS NOT NULL AND numnode(v_text) > 0;
    v_cand := greatest(candidates, k);
    v_filtered := NOT (only_conversation IS NULL AND only_source IS NULL
                       AND only_context_type IS NULL AND tags_any IS NULL
                       AND created_after IS NULL AND created_before IS NULL
                       AND only_owner IS NULL AND only_visibility IS NULL
                       AND (metadata_filter IS NULL OR metadata_filter = '{}'::jsonb));
    v_text_fetch := CASE WHEN v_filtered THEN least(1000, v_cand * 4) ELSE v_cand END;
    v_entities := coalesce(include_entities, true) AND only_conversation IS NULL
                  AND only_source IS NULL AND only_context_type IS NULL AND tags_any IS NULL
                  AND (metadata_filter IS NULL OR metadata_filter = '{}'::jsonb);
    IF v_use_vector THEN
        v_model := (cogdb.resolve_model(hybrid_search.model)).name;
        PERFORM cogdb.check_vector(query_vector, 'query_vector');
        -- A migration of the tenant settling onto its default model (revision 0033; the
        -- rule search_tenant follows for memories): the entities not moved yet keep the old
        -- model, with their current vector of the default in entity_embeddings, so the
        -- entity half reads both places; an explicit search of another model finds no
        -- entity, never a part of them. Catalog cache lookups, no query, for every other
        -- tenant.
        v_default := CASE WHEN hybrid_search.model IS NULL THEN v_model
                          ELSE (cogdb.resolve_model(NULL)).name END;
        v_side := to_regclass('cogdb.' || cogdb.settle_index_name(v_tenant, v_default));
        IF v_side IS NOT NULL AND v_model <> v_default THEN
            v_entity_none := true;
        ELSIF v_side IS NOT NULL THEN
            v_entity_side := coalesce((SELECT i.indisvalid FROM pg_index i
                                        WHERE i.indexrelid = v_side), false);
        END IF;
    END IF;
    v_plan := concat_ws('+', CASE WHEN v_use_text THEN 'text' END,
                        CASE WHEN v_use_vector THEN 'vector' END);
    v_tenants := ARRAY[v_tenant];
    IF include_shared IS TRUE THEN
        v_tenants := v_tenant || cogdb.share_request(true);
        v_asked := true;
    END IF;

    -- The text half: candidates from the text index (ids and ranks of the context's visible
    -- rows), then only the memories that pass the filters. Static statements (their plans are
    -- kept); the filters need dynamic SQL only when some are given.
    IF v_use_text THEN
        SELECT coalesce(array_agg(c.kind), '{}'), coalesce(array_agg(c.id), '{}'),
               coalesce(array_agg(c.rank), '{}'), coalesce(array_agg(c.tenant), '{}')
          INTO v_tkind, v_tid, v_trank, v_ttenant
          FROM (SELECT o.kind, o.id, o.rank, v_tenant AS tenant
                  FROM cogdb.text_candidates(v_text, v_text_fetch) o
                UNION ALL
                SELECT s.kind, s.id, s.rank, s.tenant_id
                  FROM cogdb.shared_text_candidates(v_text, v_text_fetch) s
                 WHERE v_asked) c;
        v_mids := ARRAY(SELECT u.id FROM unnest(v_tkind, v_tid) AS u(kind, id)
                         WHERE u.kind = 'memory');
        IF v_filtered THEN
            -- The filtered memories' keys ('<tenant>/<id>'): ids can repeat across tenants.
            EXECUTE 'SELECT coalesce(array_agg(m.tenant_id::text || ''/'' || m.id), ''{}'')'
                    ' FROM cogdb.memories m WHERE m.id = ANY ($1) AND m.tenant_id = ANY ($2)'
                    || cogdb.memory_filters_sql(3, metadata_filter)
               INTO v_keep
              USING v_mids, v_tenants, only_conversation, only_source, only_context_type,
                    tags_any, created_after, created_before, only_owner, only_visibility;
        END IF;
    END IF;
    -- The vector half: search's own search, each tenant on its own (search_tenant, as
    -- search does: each keeps its partition, ANN index and recall), the best v_cand of all.
    IF v_use_vector THEN
        SELECT coalesce(array_agg(s.id ORDER BY s.similarity DESC, s.id, s.tenant), '{}'),
               coalesce(array_agg(s.similarity ORDER BY s.similarity DESC, s.id, s.tenant), '{}'),
               coalesce(array_agg(s.tenant ORDER BY s.similarity DESC, s.id, s.tenant), '{}'),
               min(s.plan)
          INTO v_vid, v_vsim, v_vtenant, v_vplan
          FROM (SELECT h.id, h.similarity, h.plan, t.tenant
                  FROM unnest(v_tenants) AS t(tenant),
                       LATERAL cogdb.search_tenant(t.tenant, query_vector, v_cand, v_model,
                                                   only_conversation, only_source,
                                                   only_context_type, tags_any, created_after,
                                                   created_before, only_owner, only_visibility,
                                                   ef_search, metadata_filter) h
                 ORDER BY h.similarity DESC, h.id, t.tenant
                 LIMIT v_cand) s;
    END IF;

    RETURN QUERY
    WITH cand AS MATERIALIZED (
        -- Every candidate memory of both halves the caller sees (under the memories'
        -- policies), read in one statement and used twice: to keep the text half's visible,
        -- unexpired memories and to show the fused ones; the joins below match tenant and
        -- id. For the own tenant alone, the tenant is named as an equality, so the scan is
        -- pruned to its partition when the statement starts (revision 0036: by id under
        -- the fence alone it probed the primary key of every partition, 2-3 ms a call at
        -- 81 partitions), and the primary key (tenant_id, id) answers both (the tenant
        -- estimates of revision 0034 keep the planner from the (tenant, ...) indexes it
        -- took before: bench/RESULTS.md, Knowledge). With shared rows, the tenants of the
        -- grants too, through memories_among_tenants (a function, so this statement does
        -- not set up its scan of every partition when it is not run).
        SELECT m.tenant_id, m.id, m.conversation_id, m.human_content, m.assistant_content,
               m.summary, m.context_type, m.source, m.created_at, m.visibility,
               m.owner_user_id, m.tags, m.metadata, m.expires_at
          FROM cogdb.memories m
         WHERE NOT v_asked AND m.tenant_id = v_tenant AND m.id = ANY (v_mids || v_vid)
        UNION ALL
        SELECT m.tenant_id, m.id, m.conversation_id, m.human_content, m.assistant_content,
               m.summary, m.context_type, m.source, m.created_at, m.visibility,
               m.owner_user_id, m.tags, m.metadata, m.expires_at
          FROM cogdb.memories_among_tenants(v_mids || v_vid, v_tenants) m
         WHERE v_asked
    ), text_hits AS (
        SELECT u.kind, u.tenant, u.id, u.rank
          FROM unnest(v_tkind, v_ttenant, v_tid, v_trank) AS u(kind, tenant, id, rank)
         WHERE (u.kind = 'memory'
                AND (NOT v_filtered OR u.tenant::text || '/' || u.id = ANY (v_keep))
                AND EXISTS (SELECT FROM cand m
                             WHERE m.tenant_id = u.tenant AND m.id = u.id
                               AND (m.expires_at IS NULL OR m.expires_at > now())))
            OR (u.kind = 'entity' AND v_entities
                AND EXISTS (SELECT FROM cogdb.entities e
                             WHERE e.tenant_id = u.tenant AND e.id = u.id
                               AND e.merged_into IS NULL
                               AND (only_owner IS NULL OR e.owner_user_id = only_owner)
                               AND (only_visibility IS NULL OR e.visibility = only_visibility)
                               AND (created_after IS NULL OR e.first_seen >= created_after)
                               AND (created_before IS NULL OR e.first_seen < created_before)))
    ), text_ranked AS (
        SELECT t.kind, t.tenant, t.id, t.rank,
               row_number() OVER (ORDER BY t.rank DESC, t.kind, t.id, t.tenant) AS pos
          FROM text_hits t
         ORDER BY t.rank DESC, t.kind, t.id, t.tenant
         LIMIT v_cand
    ), vector_hits AS (
        SELECT 'memory' AS kind, u.tenant, u.id, u.similarity
          FROM unnest(v_vid, v_vsim, v_vtenant) AS u(id, similarity, tenant)
        UNION ALL
        (SELECT 'entity', e.tenant_id, e.id, 1 - (e.embedding OPERATOR(public.<=>) query_vector)
           FROM cogdb.entities e
          WHERE v_use_vector AND v_entities AND e.tenant_id = ANY (v_tenants)
            AND (NOT v_entity_none OR e.tenant_id <> v_tenant)
            AND e.model = v_model AND e.embedding IS NOT NULL
            AND e.merged_into IS NULL
            AND (only_owner IS NULL OR e.owner_user_id = only_owner)
            AND (only_visibility IS NULL OR e.visibility = only_visibility)
            AND (created_after IS NULL OR e.first_seen >= created_after)
            AND (created_before IS NULL OR e.first_seen < created_before)
          ORDER BY e.embedding OPERATOR(public.<=>) query_vector, e.id, e.tenant_id
          LIMIT v_cand)
        UNION ALL
        -- The tenant's entities still of the old model while it settles: their current
        -- vector of v_model (its digest is that of the entity's embedding now), read under
        -- entity_embeddings' and entities' policies. The settle moves an entity and deletes
        -- its side row in one transaction, so each entity is in one of the two branches.
        -- Each entity's side vector is a primary-key probe (LATERAL … OFFSET 0): as a join,
        -- planned generic with one row estimated for the tenant, it read all the tenant's
        -- entities once per side row (the review of 0033: 2.7 s at 2,000 entities).
        (SELECT 'entity', e.tenant_id, e.id, 1 - (k.embedding OPERATOR(public.<=>) query_vector)
           FROM cogdb.entities e
          CROSS JOIN LATERAL (SELECT k.embedding FROM cogdb.entity_embeddings k
                               WHERE k.tenant_id = e.tenant_id AND k.entity_id = e.id
                                 AND k.model = v_model
                                 AND k.source_digest = md5(e.embedding::text)::uuid
                              OFFSET 0) k
          WHERE v_entity_side AND v_entities AND e.tenant_id = v_tenant
            AND e.model <> v_model AND e.embedding IS NOT NULL
            AND e.merged_into IS NULL
            AND (only_owner IS NULL OR e.owner_user_id = only_owner)
            AND (only_visibility IS NULL OR e.visibility = only_visibility)
            AND (created_after IS NULL OR e.first_seen >= created_after)
            AND (created_before IS NULL OR e.first_seen < created_before)
          ORDER BY k.embedding OPERATOR(public.<=>) query_vector, e.id
          LIMIT v_cand)
    ), vector_ranked AS (
        SELECT v.kind, v.tenant, v.id, v.similarity,
               row_number() OVER (ORDER BY v.similarity DESC, v.kind, v.id, v.tenant) AS pos
          FROM vector_hits v
    ), fused AS (
        SELECT coalesce(t.kind, v.kind) AS kind, coalesce(t.tenant, v.tenant) AS tenant,
               coalesce(t.id, v.id) AS id,
               coalesce(text_weight / (rrf_k + t.pos), 0)
               + coalesce(vector_weight / (rrf_k + v.pos), 0) AS score,
               t.pos AS tpos, v.pos AS vpos, v.similarity, t.rank
          FROM text_ranked t
          FULL JOIN vector_ranked v ON v.kind = t.kind AND v.tenant = t.tenant AND v.id = t.id
         ORDER BY 4 DESC, 1, 3, 2
         LIMIT k
    ), found AS MATERIALIZED (
        -- Joined back through the policies of memories and entities: only visible rows return.
        SELECT f.kind, f.id, f.score, f.tpos::integer AS tpos, f.vpos::integer AS vpos,
               f.similarity, f.rank, e.name, e.entity_type, m.conversation_id,
               m.human_content, m.assistant_content, m.summary, m.context_type, m.source,
               coalesce(m.created_at, e.first_seen) AS created_at,
               coalesce(m.visibility, e.visibility) AS visibility,
               coalesce(m.owner_user_id, e.owner_user_id) AS owner_user_id,
               m.tags, m.metadata, v_plan || coalesce(':' || v_vplan, '') AS plan, f.tenant
          FROM fused f
          LEFT JOIN cand m
                 ON f.kind = 'memory' AND m.tenant_id = f.tenant AND m.id = f.id
          LEFT JOIN cogdb.entities e
                 ON f.kind = 'entity' AND e.tenant_id = f.tenant AND e.id = f.id
         WHERE m.id IS NOT NULL OR e.id IS NOT NULL
    ), noted AS (
        SELECT cogdb.note_shared_read(x.tenant, 'hybrid_search',
                                      (count(*) FILTER (WHERE x.kind = 'memory'))::integer,
                                      (count(*) FILTER (WHERE x.kind = 'entity'))::integer)
          FROM found x WHERE v_asked AND x.tenant <> v_tenant GROUP BY x.tenant
    )
    SELECT x.* FROM found x
     WHERE (SELECT count(*) FROM noted) >= 0
     ORDER BY x.score DESC, x.kind, x.id, x.tenant;
    IF v_asked THEN
        PERFORM cogdb.share_request(false);
    END IF;
END
$$;

REVOKE ALL ON FUNCTION cogdb.hybrid_search(text, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, integer, double precision, double precision, integer, boolean, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.hybrid_search(text, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, integer, double precision, double precision, integer, boolean, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.hybrid_search(text, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, integer, double precision, double precision, integer, boolean, boolean) IS
    'Full-text and vector ranking fused by reciprocal rank fusion over the memories, entity names and observations the caller may see, labelled with their tenant; include_shared adds what live grants share with the caller.';
