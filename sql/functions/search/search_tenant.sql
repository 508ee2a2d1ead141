-- The k memories of `tenant` nearest to `query` that the caller may see, nearest first: the
-- context's own tenant, or (inside search(…, include_shared => true), which merges them) a
-- tenant whose live grant the context holds; the fence decides what is visible, this
-- function only names the tenant, so each tenant is searched on its own partition and index.
-- similarity is cosine similarity, 1 - cosine distance (1 = same direction, 0 = orthogonal);
-- ties are broken by id. Expired memories are never returned. Reads only: no access tracking.
-- No context: no rows.
--
-- The plan is chosen per call and reported in the `plan` column:
--   exact            every candidate the caller may see is ranked (a tenant/model without an
--                    ANN index, or one whose visible candidates, after the filters, number at
--                    most search.exact_max_rows — e.g. a user who sees few of a large
--                    tenant's memories because most are private to others);
--   ann:<index>      the HNSW index on the tenant's own partition (see ann_index_name and
--                    partition_name; `cogdb maintain` promotes the tenant and builds it), with
--                    iterative scans so filters keep their recall;
--   ann:<index>+<side index>
--                    while a model migration of the tenant settles (a valid index named
--                    settle_index_name exists): the union of that index and the HNSW index of
--                    the side vectors in memory_embeddings (exact: both ranked in full).
-- Every statement on memories names the tenant as a constant: planned for this call
-- (plan_cache_mode = force_custom_plan), the planner reads the tenant's partition only, and
-- unset filters fold away. The exact path and the count are static SQL (parsed once per
-- session); the ANN query, whose cast carries the model's dimensions, and a metadata filter,
-- whose keys are literals, are built per call. ef_search tunes the ANN path (default:
-- settings.search.ef_search; 1-1000, the range of pgvector's hnsw.ef_search).
SELECT '[1]'::public.vector;  -- loads pgvector, so the hnsw.* settings below are known
CREATE OR REPLACE FUNCTION cogdb.search_tenant(tenant uuid, query public.vector, k integer DEFAULT 10,
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
                                        metadata_filter jsonb DEFAULT NULL)
    RETURNS TABLE (id text, similarity double precision, conversation_id text,
                   sequence_index integer, human_content text, assistant_content text,
                   summary text, context_type text, source text, created_at timestamptz,
                   expires_at timestamptz, visibility text, owner_user_id uuid, tags jsonb,
                   metadata jsonb,
                   intent_type text, complexity text, technical_depth smallint,
                   emotional_valence text, urgency text, conversation_mode text,
                   action_required boolean, has_code boolean, has_error boolean,
                   cluster_id integer, cluster_label text, cluster_confidence real, plan text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    -- The SET clauses scope the set_config() calls below to this call; the values used
    -- come from cogdb.settings (search.ef_search, search.max_scan_tuples). The lookups
    -- before the memories statements keep their cached plans (auto).
    SET plan_cache_mode = auto
    SET enable_sort = on
    SET hnsw.ef_search = 100
    SET hnsw.iterative_scan = 'relaxed_order'
    SET hnsw.max_scan_tuples = 50000
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := search_tenant.tenant;
    v_model text;
    v_dims integer;
    v_settings jsonb;
    v_max_k integer;
    v_exact_max integer;
    v_index text;
    v_indexed boolean;
    v_visible bigint;
    v_side text;
    v_settling boolean;
    v_default text;
    v_dist text;
    v_side_dist text;
    v_columns constant text :=
        's.id, 1 - s.distance, s.conversation_id, s.sequence_index, s.human_content,'
        ' s.assistant_content, s.summary, s.context_type, s.source, s.created_at,'
        ' s.expires_at, s.visibility, s.owner_user_id, s.tags, s.metadata, s.intent_type,'
        ' s.complexity,'
        ' s.technical_depth, s.emotional_valence, s.urgency, s.conversation_mode,'
        ' s.action_required, s.has_code, s.has_error, s.cluster_id, s.cluster_label,'
        ' s.cluster_confidence';
    v_fields constant text :=
        'm.id, m.conversation_id, m.sequence_index, m.human_content, m.assistant_content,'
        ' m.summary, m.context_type, m.source, m.created_at, m.expires_at, m.visibility,'
        ' m.owner_user_id, m.tags, m.metadata, m.intent_type, m.complexity,'
        ' m.technical_depth, m.emotional_valence, m.urgency, m.conversation_mode,'
        ' m.action_required, m.has_code, m.has_error, m.cluster_id, m.cluster_label,'
        ' m.cluster_confidence';
BEGIN
    IF v_tenant IS NULL OR cogdb.current_tenant_id() IS NULL THEN
        RETURN;  -- no context: nothing is visible
    END IF;
    SELECT jsonb_object_agg(s.key, s.value) INTO v_settings
      FROM cogdb.settings s WHERE s.key LIKE 'search.%';
    v_max_k := v_settings ->> 'search.max_k';
    v_exact_max := v_settings ->> 'search.exact_max_rows';
    IF k IS NULL OR k NOT BETWEEN 1 AND v_max_k THEN
        RAISE EXCEPTION 'k must be between 1 and %, got %', v_max_k, coalesce(k::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'k',
                  HINT = 'k is how many memories to return; the maximum is settings.search.max_k.';
    END IF;
    IF ef_search NOT BETWEEN 1 AND 1000 THEN  -- the range pgvector accepts
        RAISE EXCEPTION 'ef_search must be between 1 and 1000, got %', ef_search
            USING ERRCODE = 'CGV01', COLUMN = 'ef_search',
                  HINT = 'Leave it out for the default (settings.search.ef_search); higher '
                         'trades speed for recall.';
    END IF;
    IF only_visibility IS NOT NULL AND NOT only_visibility = ANY (cogdb.allowed_values('visibility')) THEN
        RAISE EXCEPTION 'only_visibility must be private or tenant, got %', quote_literal(only_visibility)
            USING ERRCODE = 'CGV01', COLUMN = 'only_visibility',
                  HINT = 'Leave it out to search everything the context may see.';
    END IF;
    SELECT r.name, r.dimensions INTO v_model, v_dims FROM cogdb.resolve_model(search_tenant.model) r;
    IF query IS NULL OR public.vector_dims(query) <> v_dims THEN
        RAISE EXCEPTION 'query has % dimensions; model % needs %',
                        coalesce(public.vector_dims(query)::text, 'no'), quote_literal(v_model), v_dims
            USING ERRCODE = 'CGV01', COLUMN = 'query',
                  HINT = 'Embed the query with the model the memories were stored with.';
    END IF;
    PERFORM cogdb.check_vector(query, 'query');

    v_index := cogdb.ann_index_name(v_tenant, v_model);
    IF to_regclass('cogdb.' || v_index) IS NOT NULL THEN  -- a cache lookup, no query
        SELECT i.indisvalid INTO v_indexed  -- (NULL if maintain dropped it meanwhile)
          FROM pg_index i WHERE i.indexrelid = to_regclass('cogdb.' || v_index);
    END IF;
    -- A migration settling (docs/scale-out.md "Re-embedding without downtime"): the tenant's
    -- cutover made v_model its default, but some memories still hold the old model's vector,
    -- with v_model's in memory_embeddings, indexed by settle_index_name until the settle has
    -- moved them all. Two catalog cache lookups for every other tenant, no query.
    IF v_indexed THEN
        v_side := cogdb.settle_index_name(v_tenant, v_model);
        -- Only once the cutover has made v_model the tenant's default (an explicit search of
        -- the new model before it reads the new model's memories only, as before revision
        -- 0027: the side vectors are not complete until the cutover's check; revision 0030).
        IF to_regclass('cogdb.' || v_side) IS NOT NULL
           AND (search_tenant.model IS NULL OR v_tenant <> cogdb.current_tenant_id()
                OR v_model = (SELECT r.name FROM cogdb.resolve_model(NULL) r)) THEN
            SELECT i.indisvalid INTO v_settling
              FROM pg_index i WHERE i.indexrelid = to_regclass('cogdb.' || v_side);
        END IF;
    END IF;
    IF v_settling IS NOT TRUE AND search_tenant.model IS NOT NULL
       AND v_tenant = cogdb.current_tenant_id() THEN
        -- An explicit search of another model than the default while the tenant settles onto
        -- its default: some of that model's memories have moved already, so none is returned
        -- (as after the settle), never a part of them.
        SELECT r.name INTO v_default FROM cogdb.resolve_model(NULL) r;
        IF v_default <> v_model
           AND to_regclass('cogdb.' || cogdb.settle_index_name(v_tenant, v_default)) IS NOT NULL
        THEN
            RETURN;
        END IF;
    END IF;
    -- From here on, every statement is planned for this call, with the tenant as a constant.
    PERFORM set_config('plan_cache_mode', 'force_custom_plan', true);
    IF v_settling THEN
        -- The union of the memories of v_model (settled, or written since the cutover) and the
        -- side vectors of v_model whose memory is still of another model, each through its
        -- index (ANN) or ranked in full (exact, as below); joined to memories for the filters
        -- and the policies. One statement, one snapshot: settle_model_migration moves a
        -- memory and deletes its side vector in one transaction, so each memory is in exactly
        -- one branch.
        EXECUTE format('SELECT count(*) FROM (SELECT FROM cogdb.memories m'
                       ' WHERE m.tenant_id = %1$L AND m.model = %2$L%3$s'
                       ' UNION ALL SELECT FROM cogdb.memory_embeddings e'
                       '  JOIN cogdb.memories m ON m.tenant_id = %1$L AND m.id = e.memory_id'
                       ' WHERE e.tenant_id = %1$L AND e.model = %2$L AND m.model <> %2$L%3$s'
                       ' LIMIT %4$s) c',
                       v_tenant, v_model, cogdb.memory_filters_sql(3, metadata_filter),
                       v_exact_max + 1)
           INTO v_visible
          USING query, k, only_conversation, only_source, only_context_type, tags_any,
                created_after, created_before, only_owner, only_visibility;
        IF v_visible > v_exact_max THEN
            PERFORM set_config('hnsw.ef_search',
                               coalesce(ef_search::text, v_settings ->> 'search.ef_search'), true);
            PERFORM set_config('hnsw.max_scan_tuples',
                               v_settings ->> 'search.max_scan_tuples', true);
            PERFORM set_config('enable_sort', 'off', true);
            v_dist := format('(m.embedding::public.vector(%s)) OPERATOR(public.<=>) $1', v_dims);
            v_side_dist := format('(e.embedding::public.vector(%s)) OPERATOR(public.<=>) $1',
                                  v_dims);
        ELSE
            v_dist := 'm.embedding OPERATOR(public.<=>) $1';
            v_side_dist := 'e.embedding OPERATOR(public.<=>) $1';
        END IF;
        RETURN QUERY EXECUTE format(
            'SELECT %1$s, %2$L::text FROM ('
            ' (SELECT %3$s, %4$s AS distance FROM cogdb.memories m'
            '   WHERE m.tenant_id = %5$L AND m.model = %6$L%7$s ORDER BY %4$s LIMIT $2)'
            ' UNION ALL'
            ' (SELECT %3$s, %8$s AS distance FROM cogdb.memory_embeddings e'
            '   JOIN cogdb.memories m ON m.tenant_id = %5$L AND m.id = e.memory_id'
            '   WHERE e.tenant_id = %5$L AND e.model = %6$L AND m.model <> %6$L%7$s'
            '   ORDER BY %8$s LIMIT $2)) s'
            ' ORDER BY s.distance, s.id LIMIT $2',
            v_columns,
            CASE WHEN v_visible > v_exact_max THEN 'ann:' || v_index || '+' || v_side
                 ELSE 'exact' END,
            v_fields, v_dist, v_tenant, v_model, cogdb.memory_filters_sql(3, metadata_filter),
            v_side_dist)
          USING query, k, only_conversation, only_source, only_context_type, tags_any,
                created_after, created_before, only_owner, only_visibility;
        RETURN;
    END IF;
    IF v_indexed THEN
        -- Count the candidates the caller may see, stopping just past the exact threshold.
        IF metadata_filter IS NULL THEN
            SELECT count(*) INTO v_visible FROM (
                SELECT FROM cogdb.memories m
                 WHERE m.tenant_id = v_tenant AND m.model = v_model
                   AND (m.expires_at IS NULL OR m.expires_at > now())
                   AND (only_conversation IS NULL OR m.conversation_id = only_conversation)
                   AND (only_source IS NULL OR m.source = only_source)
                   AND (only_context_type IS NULL OR m.context_type = only_context_type)
                   AND (tags_any IS NULL OR m.tags ?| tags_any)
                   AND (created_after IS NULL OR m.created_at >= created_after)
                   AND (created_before IS NULL OR m.created_at < created_before)
                   AND (only_owner IS NULL OR m.owner_user_id = only_owner)
                   AND (only_visibility IS NULL OR m.visibility = only_visibility)
                 LIMIT v_exact_max + 1) c;
        ELSE
            EXECUTE format('SELECT count(*) FROM (SELECT FROM cogdb.memories m'
                           ' WHERE m.tenant_id = %L AND m.model = %L%s LIMIT %s) c',
                           v_tenant, v_model, cogdb.memory_filters_sql(3, metadata_filter),
                           v_exact_max + 1)
               INTO v_visible
              USING query, k, only_conversation, only_source, only_context_type, tags_any,
                    created_after, created_before, only_owner, only_visibility;
        END IF;
        IF v_visible > v_exact_max THEN
            -- Scoped to this call by the SET clauses above.
            PERFORM set_config('hnsw.ef_search',
                               coalesce(ef_search::text, v_settings ->> 'search.ef_search'), true);
            PERFORM set_config('hnsw.max_scan_tuples',
                               v_settings ->> 'search.max_scan_tuples', true);
            -- The index, not a sort of the partition: on a small partition the planner would
            -- rather sort, and `plan` would then name an index the search did not read.
            PERFORM set_config('enable_sort', 'off', true);
            RETURN QUERY EXECUTE format(
                'SELECT %s, %L::text FROM ('
                ' SELECT %s, (m.embedding::public.vector(%s)) OPERATOR(public.<=>) $1 AS distance'
                '   FROM cogdb.memories m WHERE m.tenant_id = %L AND m.model = %L%s'
                '  ORDER BY (m.embedding::public.vector(%s)) OPERATOR(public.<=>) $1 LIMIT $2) s'
                ' ORDER BY s.distance, s.id',
                v_columns, 'ann:' || v_index, v_fields, v_dims, v_tenant, v_model,
                cogdb.memory_filters_sql(3, metadata_filter), v_dims)
              USING query, k, only_conversation, only_source, only_context_type, tags_any,
                    created_after, created_before, only_owner, only_visibility;
            RETURN;
        END IF;
    END IF;

    IF metadata_filter IS NULL THEN
        RETURN QUERY
        SELECT s.id, 1 - s.distance, s.conversation_id, s.sequence_index, s.human_content,
               s.assistant_content, s.summary, s.context_type, s.source, s.created_at,
               s.expires_at, s.visibility, s.owner_user_id, s.tags, s.metadata, s.intent_type,
               s.complexity, s.technical_depth, s.emotional_valence, s.urgency,
               s.conversation_mode, s.action_required, s.has_code, s.has_error, s.cluster_id,
               s.cluster_label, s.cluster_confidence, 'exact'::text
          FROM (SELECT m.id, m.conversation_id, m.sequence_index, m.human_content,
                       m.assistant_content, m.summary, m.context_type, m.source, m.created_at,
                       m.expires_at, m.visibility, m.owner_user_id, m.tags, m.metadata,
                       m.intent_type, m.complexity, m.technical_depth, m.emotional_valence,
                       m.urgency, m.conversation_mode, m.action_required, m.has_code,
                       m.has_error, m.cluster_id, m.cluster_label, m.cluster_confidence,
                       m.embedding OPERATOR(public.<=>) query AS distance
                  FROM cogdb.memories m
                 WHERE m.tenant_id = v_tenant AND m.model = v_model
                   AND (m.expires_at IS NULL OR m.expires_at > now())
                   AND (only_conversation IS NULL OR m.conversation_id = only_conversation)
                   AND (only_source IS NULL OR m.source = only_source)
                   AND (only_context_type IS NULL OR m.context_type = only_context_type)
                   AND (tags_any IS NULL OR m.tags ?| tags_any)
                   AND (created_after IS NULL OR m.created_at >= created_after)
                   AND (created_before IS NULL OR m.created_at < created_before)
                   AND (only_owner IS NULL OR m.owner_user_id = only_owner)
                   AND (only_visibility IS NULL OR m.visibility = only_visibility)) s
         ORDER BY s.distance, s.id
         LIMIT k;
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format(
        'SELECT %s, ''exact''::text FROM ('
        ' SELECT %s, m.embedding OPERATOR(public.<=>) $1 AS distance'
        '   FROM cogdb.memories m WHERE m.tenant_id = %L AND m.model = %L%s) s'
        ' ORDER BY s.distance, s.id LIMIT $2',
        v_columns, v_fields, v_tenant, v_model, cogdb.memory_filters_sql(3, metadata_filter))
      USING query, k, only_conversation, only_source, only_context_type, tags_any,
            created_after, created_before, only_owner, only_visibility;
END
$$;

REVOKE ALL ON FUNCTION cogdb.search_tenant(uuid, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.search_tenant(uuid, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb) TO cogdb_app;
COMMENT ON FUNCTION cogdb.search_tenant(uuid, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb) IS
    'The k memories of one tenant nearest to `query` that the caller may see (its own, or another''s a live grant shares), nearest first; search() calls it per tenant.';
