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
-- them out. Reads only; no context, no rows.
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
                                               include_entities boolean DEFAULT true)
    RETURNS TABLE (kind text, id text, score double precision, text_rank integer,
                   vector_rank integer, similarity double precision, text_score real,
                   name text, entity_type text, conversation_id text, human_content text,
                   assistant_content text, summary text, context_type text, source text,
                   created_at timestamptz, visibility text, owner_user_id uuid, tags jsonb,
                   metadata jsonb, plan text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
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
    v_plan text;
BEGIN
    IF cogdb.current_tenant_id() IS NULL THEN
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
    v_text_fetch := CASE WHEN only_conversation IS NULL AND only_source IS NULL
                               AND only_context_type IS NULL AND tags_any IS NULL
                               AND created_after IS NULL AND created_before IS NULL
                               AND only_owner IS NULL AND only_visibility IS NULL
                               AND (metadata_filter IS NULL OR metadata_filter = '{}'::jsonb)
                          THEN v_cand ELSE least(1000, v_cand * 4) END;
    v_entities := coalesce(include_entities, true) AND only_conversation IS NULL
                  AND only_source IS NULL AND only_context_type IS NULL AND tags_any IS NULL
                  AND (metadata_filter IS NULL OR metadata_filter = '{}'::jsonb);
    IF v_use_vector THEN
        v_model := (cogdb.resolve_model(hybrid_search.model)).name;
    END IF;
    v_plan := concat_ws('+', CASE WHEN v_use_text THEN 'text' END,
                        CASE WHEN v_use_vector THEN 'vector' END);

    -- $1 query_vector, $2 k, $3-$10 the filters (memory_filters_sql), $11 tsquery,
    -- $12 candidates, $13 model, $14 rrf_k, $15 text_weight, $16 vector_weight,
    -- $17 entities included, $18 ef_search, $19 metadata_filter, $20 plan, $21 text rows to
    -- fetch (more when filters may drop some)
    RETURN QUERY EXECUTE format($q$
        WITH text_candidates AS MATERIALIZED (
            SELECT c.kind, c.id, c.rank FROM cogdb.text_candidates($11, $21) c WHERE %1$s
        ), text_hits AS (
            SELECT c.kind, c.id, c.rank FROM text_candidates c
              JOIN cogdb.memories m ON m.id = c.id
             WHERE c.kind = 'memory' %2$s
            UNION ALL
            SELECT c.kind, c.id, c.rank FROM text_candidates c
              JOIN cogdb.entities e ON e.id = c.id
             WHERE c.kind = 'entity' AND $17 AND e.merged_into IS NULL %3$s
        ), text_ranked AS (
            SELECT t.kind, t.id, t.rank,
                   row_number() OVER (ORDER BY t.rank DESC, t.kind, t.id) AS pos
              FROM text_hits t
             ORDER BY t.rank DESC, t.kind, t.id
             LIMIT $12
        ), vector_hits AS (
            %4$s
        ), vector_ranked AS (
            SELECT v.kind, v.id, v.similarity, v.plan,
                   row_number() OVER (ORDER BY v.similarity DESC, v.kind, v.id) AS pos
              FROM vector_hits v
        ), fused AS (
            SELECT coalesce(t.kind, v.kind) AS kind, coalesce(t.id, v.id) AS id,
                   coalesce($15 / ($14 + t.pos), 0) + coalesce($16 / ($14 + v.pos), 0) AS score,
                   t.pos AS tpos, v.pos AS vpos, v.similarity, t.rank
              FROM text_ranked t FULL JOIN vector_ranked v ON v.kind = t.kind AND v.id = t.id
        ), best AS (
            SELECT f.* FROM fused f ORDER BY f.score DESC, f.kind, f.id LIMIT $2
        )
        SELECT b.kind, b.id, b.score, b.tpos::integer, b.vpos::integer, b.similarity, b.rank,
               e.name, e.entity_type, m.conversation_id, m.human_content, m.assistant_content,
               m.summary, m.context_type, m.source, coalesce(m.created_at, e.first_seen),
               coalesce(m.visibility, e.visibility), coalesce(m.owner_user_id, e.owner_user_id),
               m.tags, m.metadata,
               $20 || coalesce(':' || (SELECT max(v.plan) FROM vector_hits v), '')
          FROM best b
          LEFT JOIN cogdb.memories m ON b.kind = 'memory' AND m.id = b.id
          LEFT JOIN cogdb.entities e ON b.kind = 'entity' AND e.id = b.id
         WHERE m.id IS NOT NULL OR e.id IS NOT NULL
         ORDER BY b.score DESC, b.kind, b.id
        $q$,
        CASE WHEN v_use_text THEN 'true' ELSE 'false' END,
        cogdb.memory_filters_sql(3, metadata_filter),
        ' AND ($9::uuid IS NULL OR e.owner_user_id = $9) AND ($10::text IS NULL OR e.visibility = $10)'
        ' AND ($7::timestamptz IS NULL OR e.first_seen >= $7)'
        ' AND ($8::timestamptz IS NULL OR e.first_seen < $8)',
        CASE WHEN NOT v_use_vector THEN
            'SELECT NULL::text AS kind, NULL::text AS id, NULL::float8 AS similarity,'
            ' NULL::text AS plan WHERE false'
        ELSE
            'SELECT ''memory'' AS kind, s.id, s.similarity, s.plan'
            '  FROM cogdb.search($1, $12, $13, $3, $4, $5, $6, $7, $8, $9, $10, $18, $19) s'
            ' UNION ALL'
            ' (SELECT ''entity'', e.id, 1 - (e.embedding OPERATOR(public.<=>) $1), NULL'
            '    FROM cogdb.entities e'
            '   WHERE $17 AND e.model = $13 AND e.embedding IS NOT NULL AND e.merged_into IS NULL'
            '     AND ($9::uuid IS NULL OR e.owner_user_id = $9)'
            '     AND ($10::text IS NULL OR e.visibility = $10)'
            '     AND ($7::timestamptz IS NULL OR e.first_seen >= $7)'
            '     AND ($8::timestamptz IS NULL OR e.first_seen < $8)'
            '   ORDER BY e.embedding OPERATOR(public.<=>) $1, e.id LIMIT $12)'
        END)
      USING query_vector, k, only_conversation, only_source, only_context_type, tags_any,
            created_after, created_before, only_owner, only_visibility, v_text, v_cand,
            v_model, rrf_k, text_weight, vector_weight, v_entities, ef_search,
            metadata_filter, v_plan, v_text_fetch;
END
$$;

REVOKE ALL ON FUNCTION cogdb.hybrid_search(text, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, integer, double precision, double precision, integer, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.hybrid_search(text, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, integer, double precision, double precision, integer, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.hybrid_search(text, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, integer, double precision, double precision, integer, boolean) IS
    'Full-text and vector ranking fused by reciprocal rank fusion over the memories, entity names and observations the caller may see.';
