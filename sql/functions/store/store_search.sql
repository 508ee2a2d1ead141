-- Store items under a namespace prefix (label by label: ['a'] matches a and a.b, never ab;
-- no labels: the whole tenant), narrowed by `filter` on the value's top-level keys (cogdb's
-- metadata filter: {"k": v}, $eq $ne $gt $gte $lt $lte $in $nin; $gt… compare numbers with
-- numbers, strings with strings). Without `query`: newest update first, score NULL. With
-- it: items with vectors of the query's dimensions, ranked by the best cosine similarity of
-- any of their vectors (score, 1 = same direction), then namespace and key. page_size
-- (0-1000) and page_offset page the result after filtering; refresh_ttl and omit_expired
-- as in store_get. `plan` says how a query search ran, as cogdb.search does:
--   exact            every candidate vector ranked: a tenant without an ANN index for the
--                    query's dimensions, or at most search.exact_max_rows candidates after
--                    the prefix and the filter;
--   ann:<index>      the tenant's own partial HNSW index (store_ann_index_name, built by
--                    `cogdb maintain`), iterative scans keeping filtered recall; an item's
--                    best vector among the nearest candidates ranks it.
SELECT '[1]'::public.vector;  -- loads pgvector, so the hnsw.* settings below are known
CREATE OR REPLACE FUNCTION cogdb.store_search(namespace_prefix text[] DEFAULT '{}',
                                              query public.vector DEFAULT NULL,
                                              filter jsonb DEFAULT NULL,
                                              page_size integer DEFAULT 10,
                                              page_offset integer DEFAULT 0,
                                              refresh_ttl boolean DEFAULT true,
                                              omit_expired boolean DEFAULT false)
    RETURNS TABLE (namespace text[], key text, value jsonb, created_at timestamptz,
                   updated_at timestamptz, score double precision, plan text)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    -- Scoped to this call; the values used come from cogdb.settings (search.*), and the ANN
    -- path turns sorts and bitmap scans off for its query (see below).
    SET hnsw.ef_search = 100
    SET hnsw.iterative_scan = 'relaxed_order'
    SET hnsw.max_scan_tuples = 50000
    SET enable_sort = on
    SET enable_bitmapscan = on
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
    v_prefix text := CASE WHEN cardinality(coalesce(namespace_prefix, '{}')) > 0
                          THEN cogdb.store_namespace(namespace_prefix) END;
    -- $1 prefix, $2 include expired, $3 page_size, $4 page_offset, $5 refresh, $6 query.
    -- cogdb.metadata_filter_sql writes its condition on m.metadata: here, the item's value.
    v_where constant text :=
        ' WHERE ($1::text IS NULL OR i.namespace = $1'
        ' OR (i.namespace >= $1 || ''.'' AND i.namespace < $1 || ''/''))'
        ' AND ($2 OR i.expires_at IS NULL OR i.expires_at > now())'
        || cogdb.metadata_filter_sql(filter);
    v_from constant text :=
        ' FROM cogdb.store_vectors v JOIN cogdb.store_items i ON i.tenant_id = v.tenant_id'
        ' AND i.namespace = v.namespace AND i.key = v.key'
        ' CROSS JOIN LATERAL (SELECT i.value AS metadata) m';
    v_dims integer := public.vector_dims(query);
    v_index text;
    v_exact_max integer := cogdb.int_setting('search.exact_max_rows');
    v_candidates bigint;
    v_plan text := 'exact';
    v_ranked text;
BEGIN
    IF page_size IS NULL OR page_size NOT BETWEEN 0 AND 1000 THEN
        RAISE EXCEPTION 'page_size must be between 0 and 1000, got %', coalesce(page_size::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'page_size',
                  HINT = 'Page through more with page_offset.';
    END IF;
    IF page_offset IS NULL OR page_offset < 0 THEN
        RAISE EXCEPTION 'page_offset must be 0 or more, got %', coalesce(page_offset::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'page_offset', HINT = '0 is the first page.';
    END IF;
    IF v_tenant IS NULL THEN
        RETURN;  -- no context: nothing is visible
    END IF;

    IF query IS NULL THEN
        v_plan := NULL;
        v_ranked := 'SELECT i.namespace, i.key, NULL::float8 AS score, i.updated_at'
                    ' FROM cogdb.store_items i CROSS JOIN LATERAL (SELECT i.value AS metadata) m'
                    || v_where
                    || ' ORDER BY i.updated_at DESC, i.namespace, i.key LIMIT $3 OFFSET $4';
    ELSE
        PERFORM cogdb.check_vector(query, 'query');
        v_index := cogdb.store_ann_index_name(v_tenant, v_dims);
        IF EXISTS (SELECT FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
                    WHERE c.relname = v_index AND c.relnamespace = 'cogdb'::regnamespace
                      AND x.indisvalid) THEN
            -- Count the candidate vectors, stopping just past the exact threshold.
            EXECUTE format('SELECT count(*) FROM (SELECT 1%s AND v.tenant_id = %L'
                           ' AND v.dims = %s LIMIT %s) c',
                           v_from || v_where, v_tenant, v_dims, v_exact_max + 1)
               INTO v_candidates
              USING v_prefix, NOT omit_expired, page_size, page_offset, refresh_ttl, query;
            IF v_candidates > v_exact_max THEN
                v_plan := 'ann:' || v_index;
                PERFORM set_config('hnsw.ef_search',
                                   greatest(cogdb.int_setting('search.ef_search'),
                                            (page_size + page_offset) * 4)::text, true);
                PERFORM set_config('hnsw.max_scan_tuples',
                                   cogdb.int_setting('search.max_scan_tuples')::text, true);
                -- Past the threshold the index is the plan we want; without statistics on
                -- namespaces (SET STATISTICS 0) the planner would often pick a bitmap scan
                -- of the whole tenant and a sort (280 ms instead of 1.5 ms at 50k vectors).
                PERFORM set_config('enable_sort', 'off', true);
                PERFORM set_config('enable_bitmapscan', 'off', true);
            END IF;
        END IF;
        IF v_plan = 'exact' THEN
            v_ranked := 'SELECT v.namespace, v.key,'
                        ' max(1 - (v.embedding OPERATOR(public.<=>) $6)) AS score,'
                        ' NULL::timestamptz AS updated_at'
                        || v_from || v_where
                        || format(' AND v.dims = %s', v_dims)
                        || ' GROUP BY v.namespace, v.key'
                           ' ORDER BY score DESC, v.namespace, v.key LIMIT $3 OFFSET $4';
        ELSE
            -- The tenant and the dimension as literals let the planner use the partial
            -- index; the nearest (page_size + page_offset) * 4 vectors rank the items.
            v_ranked := format(
                'SELECT c.namespace, c.key, max(1 - c.distance) AS score,'
                ' NULL::timestamptz AS updated_at FROM ('
                ' SELECT v.namespace, v.key,'
                ' (v.embedding::public.vector(%s)) OPERATOR(public.<=>) $6 AS distance'
                '%s AND v.tenant_id = %L AND v.dims = %s'
                ' ORDER BY (v.embedding::public.vector(%s)) OPERATOR(public.<=>) $6'
                ' LIMIT ($3 + $4) * 4) c'
                ' GROUP BY c.namespace, c.key'
                ' ORDER BY score DESC, c.namespace, c.key LIMIT $3 OFFSET $4',
                v_dims, v_from || v_where, v_tenant, v_dims, v_dims);
        END IF;
    END IF;
    RETURN QUERY EXECUTE
        'WITH ranked AS MATERIALIZED (' || v_ranked || '),'
        ' refreshed AS (UPDATE cogdb.store_items s'
        '   SET expires_at = now() + s.ttl_minutes * interval ''1 minute'''
        '  FROM ranked r WHERE $5 AND s.namespace = r.namespace AND s.key = r.key'
        '   AND s.expires_at > now() RETURNING 1)'
        ' SELECT string_to_array(i.namespace, ''.''), i.key, i.value, i.created_at,'
        ' i.updated_at, r.score, $7 FROM ranked r JOIN cogdb.store_items i'
        ' ON i.namespace = r.namespace AND i.key = r.key'
        || CASE WHEN query IS NULL THEN ' ORDER BY i.updated_at DESC, i.namespace, i.key'
                ELSE ' ORDER BY r.score DESC, i.namespace, i.key' END
      USING v_prefix, NOT omit_expired, page_size, page_offset, refresh_ttl, query, v_plan;
END
$$;

REVOKE ALL ON FUNCTION cogdb.store_search(text[], public.vector, jsonb, integer, integer, boolean, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.store_search(text[], public.vector, jsonb, integer, integer, boolean, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.store_search(text[], public.vector, jsonb, integer, integer, boolean, boolean) IS
    'Store items under a namespace prefix, filtered on the value''s top-level keys; newest first, or ranked by cosine similarity to `query` (exact, or the tenant''s own ANN index when large).';
