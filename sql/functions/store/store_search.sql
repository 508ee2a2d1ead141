-- Store items under a namespace prefix (label by label: ['a'] matches a and a.b, never ab;
-- no labels: the whole tenant), narrowed by `filter` on the value's top-level keys (cogdb's
-- metadata filter: {"k": v}, $eq $ne $gt $gte $lt $lte $in $nin; $gt… compare numbers with
-- numbers, strings with strings). Without `query`: newest update first, score NULL. With
-- it: items with vectors of the query's dimensions, ranked by the best cosine similarity of
-- any of their vectors (score, 1 = same direction), then namespace and key; an exact scan
-- of the tenant's matching vectors. page_size (0-1000) and page_offset page the result
-- after filtering; refresh_ttl and omit_expired as in store_get.
CREATE OR REPLACE FUNCTION cogdb.store_search(namespace_prefix text[] DEFAULT '{}',
                                              query public.vector DEFAULT NULL,
                                              filter jsonb DEFAULT NULL,
                                              page_size integer DEFAULT 10,
                                              page_offset integer DEFAULT 0,
                                              refresh_ttl boolean DEFAULT true,
                                              omit_expired boolean DEFAULT false)
    RETURNS TABLE (namespace text[], key text, value jsonb, created_at timestamptz,
                   updated_at timestamptz, score double precision)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_prefix text := CASE WHEN cardinality(coalesce(namespace_prefix, '{}')) > 0
                          THEN cogdb.store_namespace(namespace_prefix) END;
    -- $1 prefix, $2 include expired, $3 page_size, $4 page_offset, $5 refresh, $6 query.
    -- cogdb.metadata_filter_sql writes its condition on m.metadata: here, the item's value.
    v_where constant text :=
        ' WHERE ($1::text IS NULL OR i.namespace = $1'
        ' OR (i.namespace >= $1 || ''.'' AND i.namespace < $1 || ''/''))'
        ' AND ($2 OR i.expires_at IS NULL OR i.expires_at > now())'
        || cogdb.metadata_filter_sql(filter);
    v_found text;
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
    IF query IS NULL THEN
        v_found := 'SELECT i.namespace, i.key, i.value, i.created_at, i.updated_at,'
                   ' NULL::float8 AS score'
                   ' FROM cogdb.store_items i CROSS JOIN LATERAL (SELECT i.value AS metadata) m'
                   || v_where
                   || ' ORDER BY i.updated_at DESC, i.namespace, i.key LIMIT $3 OFFSET $4';
    ELSE
        v_found := 'SELECT i.namespace, i.key, i.value, i.created_at, i.updated_at,'
                   ' max(1 - (v.embedding OPERATOR(public.<=>) $6)) AS score'
                   ' FROM cogdb.store_items i CROSS JOIN LATERAL (SELECT i.value AS metadata) m'
                   ' JOIN cogdb.store_vectors v ON v.tenant_id = i.tenant_id'
                   ' AND v.namespace = i.namespace AND v.key = i.key'
                   || v_where
                   || ' AND public.vector_dims(v.embedding) = public.vector_dims($6)'
                   ' GROUP BY i.tenant_id, i.namespace, i.key'
                   ' ORDER BY score DESC, i.namespace, i.key LIMIT $3 OFFSET $4';
    END IF;
    RETURN QUERY EXECUTE
        'WITH found AS MATERIALIZED (' || v_found || '),'
        ' refreshed AS (UPDATE cogdb.store_items s'
        '   SET expires_at = now() + s.ttl_minutes * interval ''1 minute'''
        '  FROM found f WHERE $5 AND s.namespace = f.namespace AND s.key = f.key'
        '   AND s.expires_at > now() RETURNING 1)'
        ' SELECT string_to_array(f.namespace, ''.''), f.key, f.value, f.created_at,'
        ' f.updated_at, f.score FROM found f'
        || CASE WHEN query IS NULL THEN ' ORDER BY f.updated_at DESC, f.namespace, f.key'
                ELSE ' ORDER BY f.score DESC, f.namespace, f.key' END
      USING v_prefix, NOT omit_expired, page_size, page_offset, refresh_ttl, query;
END
$$;

REVOKE ALL ON FUNCTION cogdb.store_search(text[], public.vector, jsonb, integer, integer, boolean, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.store_search(text[], public.vector, jsonb, integer, integer, boolean, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.store_search(text[], public.vector, jsonb, integer, integer, boolean, boolean) IS
    'Store items under a namespace prefix, filtered on the value''s top-level keys; newest first, or ranked by cosine similarity to `query`.';
