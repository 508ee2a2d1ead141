-- cogdb revision 0028 (hybrid_fixed_cost): downgrade, written by `python -m tools.freeze 0028` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

REVOKE ALL ON FUNCTION cogdb.hybrid_search(text, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, integer, double precision, double precision, integer, boolean, boolean) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.hybrid_search(text, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, integer, double precision, double precision, integer, boolean, boolean) IS NULL;
-- sql/functions/knowledge/hybrid_search.sql as frozen in revision 0022
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
-- scan of the entities that have an embedding of the same model. Each half contributes its
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
    v_vid text[] := '{}';
    v_vtenant uuid[] := '{}';
    v_vsim double precision[] := '{}';
    v_vplan text;
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
        IF v_filtered THEN
            -- The filtered memories' keys ('<tenant>/<id>'): ids can repeat across tenants.
            EXECUTE 'SELECT coalesce(array_agg(m.tenant_id::text || ''/'' || m.id), ''{}'')'
                    ' FROM cogdb.memories m WHERE m.id = ANY ($1) AND m.tenant_id = ANY ($2)'
                    || cogdb.memory_filters_sql(3, metadata_filter)
               INTO v_keep
              USING ARRAY(SELECT u.id FROM unnest(v_tkind, v_tid) AS u(kind, id)
                           WHERE u.kind = 'memory'),
                    v_tenants, only_conversation, only_source, only_context_type, tags_any,
                    created_after, created_before, only_owner, only_visibility;
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
    WITH text_hits AS (
        SELECT u.kind, u.tenant, u.id, u.rank
          FROM unnest(v_tkind, v_ttenant, v_tid, v_trank) AS u(kind, tenant, id, rank)
         WHERE (u.kind = 'memory'
                AND (NOT v_filtered OR u.tenant::text || '/' || u.id = ANY (v_keep))
                AND EXISTS (SELECT FROM cogdb.memories m
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
            AND e.model = v_model AND e.embedding IS NOT NULL
            AND e.merged_into IS NULL
            AND (only_owner IS NULL OR e.owner_user_id = only_owner)
            AND (only_visibility IS NULL OR e.visibility = only_visibility)
            AND (created_after IS NULL OR e.first_seen >= created_after)
            AND (created_before IS NULL OR e.first_seen < created_before)
          ORDER BY e.embedding OPERATOR(public.<=>) query_vector, e.id, e.tenant_id
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
          LEFT JOIN cogdb.memories m
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

REVOKE ALL ON FUNCTION cogdb.text_candidates(tsquery, integer, text[]) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.text_candidates(tsquery, integer, text[]) IS NULL;
-- sql/functions/knowledge/text_candidates.sql as frozen in revision 0008
-- The text half of hybrid search: the nodes of the context's tenant whose text matches
-- `query`, best first (then by id), at most max_rows (1-1000): kind ('memory' or 'entity'),
-- id and rank, nothing else.
--
-- Matching: a document that has every word (or phrase) of the query is a candidate, and so
-- is one that has some of them: all candidates are ranked by ts_rank against the words
-- joined by OR, so more (and repeated) words rank higher. The work is bounded per word: the
-- documents with all the words, and those with each single word, are each taken up to
-- `scan` (2 x max_rows, 100-2000) before ranking, so a word that most of a large tenant's
-- documents contain costs a bounded ranking (its own scan of the index remains, about 0.1 us
-- per document that has it); a rare word or an exact token (an order number, an error code,
-- a name) is always ranked in full. When max_rows documents have every word, the single
-- words are not scanned. A query with OR or -excluded words is matched as written.
--
-- Definer over the owner-only cogdb.text_index, whose GIN index (tenant_id, tsv) the planner
-- can use there (see sql/tables/text_index.sql for why not under RLS). It filters the tenant
-- (cogdb.current_tenant_id(): no context, no rows) and the caller's visibility itself;
-- hybrid_search joins the ids back through memories and entities under their policies, so a
-- bug here could not show another tenant's row either.
CREATE OR REPLACE FUNCTION cogdb.text_candidates(query tsquery, max_rows integer DEFAULT 100,
                                                 kinds text[] DEFAULT ARRAY['memory', 'entity'])
    RETURNS TABLE (kind text, id text, rank real)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
    v_user uuid := cogdb.current_user_id();
    v_rows integer := least(greatest(coalesce(max_rows, 100), 1), 1000);
    v_scan integer := least(greatest(2 * least(greatest(coalesce(max_rows, 100), 1), 1000), 100), 2000);
    v_words text[] := '{}';
    v_any tsquery := query;
    v_kinds text[];
    v_ids text[];
    v_ranks real[];
BEGIN
    IF v_tenant IS NULL OR query IS NULL OR numnode(query) = 0 THEN
        RETURN;
    END IF;
    -- websearch_to_tsquery joins words and phrases with &; without OR, negation or groups,
    -- the top level splits there (<-> binds tighter), one entry per distinct word or phrase.
    IF query::text !~ '[|!()]' THEN
        v_words := ARRAY(SELECT DISTINCT w FROM unnest(string_to_array(query::text, ' & ')) w);
        v_any := array_to_string(v_words, ' | ')::tsquery;
    END IF;
    IF cardinality(v_words) < 2 THEN
        v_words := '{}';
    END IF;
    -- The documents with every word first; when there are max_rows of them, documents with
    -- only some of the words would rank below them, and the single words are not scanned.
    SELECT coalesce(array_agg(a.kind), '{}'), coalesce(array_agg(a.id), '{}'),
           coalesce(array_agg(a.rank), '{}')
      INTO v_kinds, v_ids, v_ranks
      FROM (SELECT CASE WHEN t.memory_id IS NOT NULL THEN 'memory' ELSE 'entity' END AS kind,
                   coalesce(t.memory_id, t.entity_id) AS id, ts_rank(t.tsv, v_any) AS rank
              FROM cogdb.text_index t
             WHERE t.tenant_id = v_tenant
               AND (t.visibility = 'tenant' OR t.owner_user_id = v_user)
               AND t.tsv @@ query
             LIMIT v_scan) a;
    IF cardinality(v_ids) >= v_rows THEN
        v_words := '{}';
    END IF;
    RETURN QUERY
    SELECT h.kind, h.id, max(h.rank)
      FROM (SELECT * FROM unnest(v_kinds, v_ids, v_ranks) AS a(kind, id, rank)
            UNION ALL
            SELECT w.* FROM unnest(v_words) AS b(word)
             CROSS JOIN LATERAL (
                SELECT CASE WHEN t.memory_id IS NOT NULL THEN 'memory' ELSE 'entity' END AS kind,
                       coalesce(t.memory_id, t.entity_id) AS id, ts_rank(t.tsv, v_any) AS rank
                  FROM cogdb.text_index t
                 WHERE t.tenant_id = v_tenant
                   AND (t.visibility = 'tenant' OR t.owner_user_id = v_user)
                   AND t.tsv @@ b.word::tsquery
                 LIMIT v_scan) w) h
     WHERE h.kind = ANY (kinds)
     GROUP BY h.kind, h.id
     ORDER BY 3 DESC, 2
     LIMIT v_rows;
END
$$;

REVOKE ALL ON FUNCTION cogdb.text_candidates(tsquery, integer, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.text_candidates(tsquery, integer, text[]) TO cogdb_app;
COMMENT ON FUNCTION cogdb.text_candidates(tsquery, integer, text[]) IS
    'The text half of hybrid search: ids and ranks of the context tenant''s visible nodes matching a tsquery (definer over the owner-only text index; bounded work per word).';

RESET ROLE;
