-- cogdb revision 0007 (store): written by `python -m tools.freeze 0007` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> sql/tables/store_items.sql
-- LangGraph's BaseStore items (cogdb.integrations.langgraph): a JSON object stored under a
-- namespace and a key inside a tenant. The namespace is its labels joined by '.', which a
-- label may not contain (LangGraph's own rule), so 'a.b' holds exactly the labels a, b and a
-- prefix search for 'a' is namespace = 'a' OR namespace in ['a.', 'a/') — a range on the
-- primary key in the "C" collation, where '/' follows '.'. Items are tenant-wide: every
-- user of the tenant sees and changes them (namespaces are the application's to define).
-- expires_at / ttl_minutes: LangGraph's TTL, refreshed on read; expired rows are deleted by
-- cogdb.store_sweep (the store) and cogdb.store_sweep_all (`cogdb maintain`).
CREATE TABLE cogdb.store_items (
    tenant_id   uuid NOT NULL DEFAULT cogdb.current_tenant_id(),
    namespace   text COLLATE "C" NOT NULL
                CHECK (length(namespace) <= 1024 AND namespace ~ '^[^.]+(\.[^.]+)*$'),
    key         text NOT NULL CHECK (length(key) <= 1024),
    value       jsonb NOT NULL CHECK (jsonb_typeof(value) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    ttl_minutes double precision CHECK (ttl_minutes > 0),
    PRIMARY KEY (tenant_id, namespace, key),
    FOREIGN KEY (tenant_id) REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    CONSTRAINT store_items_ttl_check CHECK ((expires_at IS NULL) = (ttl_minutes IS NULL))
);
-- The sweep finds a tenant's expired items without reading the others.
CREATE INDEX store_items_expiry_idx ON cogdb.store_items (tenant_id, expires_at)
    WHERE expires_at IS NOT NULL;
-- No value statistics for content columns (see cogdb.memories).
ALTER TABLE cogdb.store_items ALTER COLUMN namespace SET STATISTICS 0;
ALTER TABLE cogdb.store_items ALTER COLUMN key SET STATISTICS 0;
ALTER TABLE cogdb.store_items ALTER COLUMN value SET STATISTICS 0;
ALTER TABLE cogdb.store_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.store_items FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON cogdb.store_items TO cogdb_app;
COMMENT ON TABLE cogdb.store_items IS
    'LangGraph store items: a JSON object under a namespace (labels joined by ''.'') and a key, tenant-wide, with an optional TTL. Fenced by tenant (RLS).';
-- <<< sql/tables/store_items.sql

-- >>> sql/tables/store_vectors.sql
-- The vectors of LangGraph store items, one per text the store's index config extracts from
-- an item (`field` names the path it came from: '$' for the whole value, 'a.b', or
-- 'a[*].b#2' for the third of several). Deleted with their item. Any dimensions: a search
-- compares only vectors of its query's dimensions (`dims`, kept by PostgreSQL). Searched
-- exactly within the tenant, or, for a tenant with many vectors of one dimension, through
-- its own partial HNSW index (store_vectors_ann_<hash>, made by `cogdb maintain` from
-- cogdb.plan_store_maintenance), as memories are.
CREATE TABLE cogdb.store_vectors (
    tenant_id  uuid NOT NULL DEFAULT cogdb.current_tenant_id(),
    namespace  text COLLATE "C" NOT NULL,
    key        text NOT NULL,
    field      text NOT NULL CHECK (length(field) <= 1024),
    embedding  public.vector NOT NULL,
    dims       integer NOT NULL GENERATED ALWAYS AS (public.vector_dims(embedding)) STORED,
    PRIMARY KEY (tenant_id, namespace, key, field),
    FOREIGN KEY (tenant_id, namespace, key)
        REFERENCES cogdb.store_items (tenant_id, namespace, key) ON DELETE CASCADE
);
ALTER TABLE cogdb.store_vectors ALTER COLUMN embedding SET STORAGE PLAIN;
ALTER TABLE cogdb.store_vectors ALTER COLUMN namespace SET STATISTICS 0;
ALTER TABLE cogdb.store_vectors ALTER COLUMN key SET STATISTICS 0;
ALTER TABLE cogdb.store_vectors ALTER COLUMN field SET STATISTICS 0;
ALTER TABLE cogdb.store_vectors ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.store_vectors FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON cogdb.store_vectors TO cogdb_app;
COMMENT ON TABLE cogdb.store_vectors IS
    'Vectors of LangGraph store items, one per indexed text; deleted with their item. Fenced by tenant (RLS).';
-- <<< sql/tables/store_vectors.sql

-- >>> sql/policies/store_items__tenant_fence.sql
-- The tenant fence on store_items: a row is readable and writable only inside its own tenant's
-- context. RESTRICTIVE, so no permissive policy can widen it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS store_items__tenant_fence ON cogdb.store_items;
CREATE POLICY store_items__tenant_fence ON cogdb.store_items
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/store_items__tenant_fence.sql

-- >>> sql/policies/store_items__inside_fence.sql
-- Lets rows through the fence: RLS shows nothing without at least one permissive policy.
-- Store items are tenant-wide (every user of the tenant), so all filtering is the fence's
-- (store_items__tenant_fence); this one adds no condition of its own.
DROP POLICY IF EXISTS store_items__inside_fence ON cogdb.store_items;
CREATE POLICY store_items__inside_fence ON cogdb.store_items
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (true)
    WITH CHECK (true);
-- <<< sql/policies/store_items__inside_fence.sql

-- >>> sql/policies/store_vectors__tenant_fence.sql
-- The tenant fence on store_vectors: a row is readable and writable only inside its own tenant's
-- context. RESTRICTIVE, so no permissive policy can widen it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS store_vectors__tenant_fence ON cogdb.store_vectors;
CREATE POLICY store_vectors__tenant_fence ON cogdb.store_vectors
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/store_vectors__tenant_fence.sql

-- >>> sql/policies/store_vectors__inside_fence.sql
-- Lets rows through the fence: RLS shows nothing without at least one permissive policy.
-- Store items are tenant-wide (every user of the tenant), so all filtering is the fence's
-- (store_vectors__tenant_fence); this one adds no condition of its own.
DROP POLICY IF EXISTS store_vectors__inside_fence ON cogdb.store_vectors;
CREATE POLICY store_vectors__inside_fence ON cogdb.store_vectors
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (true)
    WITH CHECK (true);
-- <<< sql/policies/store_vectors__inside_fence.sql

-- >>> sql/functions/store/store_namespace.sql
-- A namespace's labels as stored: joined by '.'. Refuses (CGV01, column namespace) no
-- labels, a NULL or empty label, and a label containing '.' (LangGraph's rule, which is
-- what makes prefix search exact at label boundaries).
CREATE OR REPLACE FUNCTION cogdb.store_namespace(labels text[]) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF labels IS NULL OR cardinality(labels) = 0 THEN
        RAISE EXCEPTION 'a namespace needs at least one label'
            USING ERRCODE = 'CGV01', COLUMN = 'namespace',
                  HINT = 'e.g. ARRAY[''users'', ''alice'', ''memories'']';
    END IF;
    IF array_position(labels, NULL) IS NOT NULL
       OR EXISTS (SELECT FROM unnest(labels) l WHERE l = '' OR strpos(l, '.') > 0) THEN
        RAISE EXCEPTION 'namespace labels must be non-empty and contain no ''.'', got %',
                        left(array_to_string(labels, ', ', 'NULL'), 200)
            USING ERRCODE = 'CGV01', COLUMN = 'namespace',
                  HINT = 'Use other characters than ''.'' inside a label.';
    END IF;
    RETURN array_to_string(labels, '.');
END
$$;

REVOKE ALL ON FUNCTION cogdb.store_namespace(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.store_namespace(text[]) TO cogdb_app;
COMMENT ON FUNCTION cogdb.store_namespace(text[]) IS
    'A store namespace''s labels as stored (joined by ''.''); refuses empty namespaces and labels that are empty or contain ''.''.';
-- <<< sql/functions/store/store_namespace.sql

-- >>> sql/functions/store/store_namespace_matches.sql
-- Whether a namespace (its labels) meets every match condition of list_namespaces:
-- [{"match_type": "prefix"|"suffix", "path": ["a", "*", …]}], where '*' stands for exactly
-- one label. No conditions: true. The shape is checked by store_list_namespaces.
CREATE OR REPLACE FUNCTION cogdb.store_namespace_matches(labels text[], match_conditions jsonb)
    RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT NOT EXISTS (
        SELECT FROM jsonb_array_elements(coalesce(match_conditions, '[]')) AS c(cond),
             LATERAL (SELECT ARRAY(SELECT jsonb_array_elements_text(c.cond -> 'path')) AS path) p
         WHERE cardinality(labels) < cardinality(p.path)
            OR EXISTS (SELECT FROM generate_subscripts(p.path, 1) AS k(i)
                        WHERE p.path[k.i] <> '*'
                          AND p.path[k.i] IS DISTINCT FROM labels[
                              CASE WHEN c.cond ->> 'match_type' = 'prefix' THEN k.i
                                   ELSE cardinality(labels) - cardinality(p.path) + k.i END]))
$$;

REVOKE ALL ON FUNCTION cogdb.store_namespace_matches(text[], jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.store_namespace_matches(text[], jsonb) TO cogdb_app;
COMMENT ON FUNCTION cogdb.store_namespace_matches(text[], jsonb) IS
    'Whether a store namespace meets every prefix/suffix match condition (''*'' = exactly one label).';
-- <<< sql/functions/store/store_namespace_matches.sql

-- >>> sql/functions/store/store_put.sql
-- Writes a batch of LangGraph store puts in one call; returns how many items it wrote or
-- deleted. `items`: [{"namespace": [labels], "key": "k", "value": {…} or null (delete),
-- "ttl_minutes": n or null}]; a later item with the same namespace and key wins. A put
-- replaces the item's value, TTL and vectors (created_at stays). `vector_keys`:
-- [{"item": <1-based position in items>, "field": "<path>"}], one per vector of
-- `embeddings`, same order. Items are tenant-wide; the tenant comes from the context.
CREATE OR REPLACE FUNCTION cogdb.store_put(items jsonb, vector_keys jsonb DEFAULT '[]',
                                           embeddings public.vector[] DEFAULT '{}')
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_namespaces text[];
    v_keys text[];
    v_values jsonb[];
    v_ttls float8[];
    v_ords bigint[];
    v_deleted integer;
    v_written integer;
BEGIN
    PERFORM cogdb.require_tenant('writing store items');
    IF jsonb_typeof(items) IS DISTINCT FROM 'array'
       OR EXISTS (SELECT FROM jsonb_array_elements(items) e
                   WHERE jsonb_typeof(e) <> 'object'
                      OR jsonb_typeof(e -> 'namespace') IS DISTINCT FROM 'array'
                      OR jsonb_typeof(e -> 'key') IS DISTINCT FROM 'string'
                      OR coalesce(jsonb_typeof(e -> 'value'), 'null') NOT IN ('object', 'null')
                      OR coalesce(jsonb_typeof(e -> 'ttl_minutes'), 'null')
                         NOT IN ('number', 'null')) THEN
        RAISE EXCEPTION 'items must be a JSON array of {namespace: [labels], key: text, value: object or null, ttl_minutes: number or null}'
            USING ERRCODE = 'CGV01', COLUMN = 'items',
                  HINT = 'e.g. ''[{"namespace": ["users", "alice"], "key": "k", "value": {"a": 1}}]''';
    END IF;
    IF jsonb_array_length(coalesce(vector_keys, '[]')) <> coalesce(cardinality(embeddings), 0)
       OR EXISTS (SELECT FROM jsonb_array_elements(coalesce(vector_keys, '[]')) k
                   WHERE jsonb_typeof(k -> 'item') IS DISTINCT FROM 'number'
                      OR jsonb_typeof(k -> 'field') IS DISTINCT FROM 'string') THEN
        RAISE EXCEPTION '% vector keys but % embeddings; they pair up one to one, each {item, field}',
                        jsonb_array_length(coalesce(vector_keys, '[]')),
                        coalesce(cardinality(embeddings), 0)
            USING ERRCODE = 'CGV01', COLUMN = 'vector_keys',
                  HINT = 'e.g. ''[{"item": 1, "field": "$"}]'' with one vector.';
    END IF;

    -- The puts, deduplicated (the last of a namespace and key wins), as parallel arrays.
    SELECT array_agg(d.namespace), array_agg(d.key), array_agg(d.value),
           array_agg(d.ttl_minutes), array_agg(d.ord)
      INTO v_namespaces, v_keys, v_values, v_ttls, v_ords
      FROM (SELECT DISTINCT ON (n.namespace, e.obj ->> 'key')
                   e.ord, n.namespace, e.obj ->> 'key' AS key,
                   nullif(e.obj -> 'value', 'null') AS value,
                   (e.obj ->> 'ttl_minutes')::float8 AS ttl_minutes
              FROM jsonb_array_elements(items) WITH ORDINALITY AS e(obj, ord),
                   LATERAL (SELECT cogdb.store_namespace(
                                ARRAY(SELECT jsonb_array_elements_text(e.obj -> 'namespace')))
                            AS namespace) n
             ORDER BY n.namespace, e.obj ->> 'key', e.ord DESC) d;
    IF v_ords IS NULL THEN
        RETURN 0;
    END IF;

    DELETE FROM cogdb.store_vectors v
     USING unnest(v_namespaces, v_keys) AS i(namespace, key)
     WHERE v.namespace = i.namespace AND v.key = i.key;
    DELETE FROM cogdb.store_items s
     USING unnest(v_namespaces, v_keys, v_values) AS i(namespace, key, value)
     WHERE i.value IS NULL AND s.namespace = i.namespace AND s.key = i.key;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    INSERT INTO cogdb.store_items AS s (namespace, key, value, expires_at, ttl_minutes)
    SELECT i.namespace, i.key, i.value, now() + i.ttl_minutes * interval '1 minute',
           i.ttl_minutes
      FROM unnest(v_namespaces, v_keys, v_values, v_ttls)
           AS i(namespace, key, value, ttl_minutes)
     WHERE i.value IS NOT NULL
     ORDER BY i.namespace, i.key
        ON CONFLICT (tenant_id, namespace, key) DO UPDATE
       SET value = EXCLUDED.value, updated_at = now(), expires_at = EXCLUDED.expires_at,
           ttl_minutes = EXCLUDED.ttl_minutes;
    GET DIAGNOSTICS v_written = ROW_COUNT;
    INSERT INTO cogdb.store_vectors (namespace, key, field, embedding)
    SELECT DISTINCT ON (i.namespace, i.key, k.obj ->> 'field')
           i.namespace, i.key, k.obj ->> 'field', embeddings[k.ord]
      FROM jsonb_array_elements(coalesce(vector_keys, '[]')) WITH ORDINALITY AS k(obj, ord)
      JOIN unnest(v_namespaces, v_keys, v_values, v_ords) AS i(namespace, key, value, ord)
        ON i.ord = (k.obj ->> 'item')::bigint
     WHERE i.value IS NOT NULL
     ORDER BY i.namespace, i.key, k.obj ->> 'field', k.ord DESC;
    RETURN v_deleted + v_written;
END
$$;

REVOKE ALL ON FUNCTION cogdb.store_put(jsonb, jsonb, public.vector[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.store_put(jsonb, jsonb, public.vector[]) TO cogdb_app;
COMMENT ON FUNCTION cogdb.store_put(jsonb, jsonb, public.vector[]) IS
    'Writes a batch of LangGraph store puts (value null deletes) with their vectors; returns how many items were written or deleted.';
-- <<< sql/functions/store/store_put.sql

-- >>> sql/functions/store/store_get.sql
-- The store item under this namespace and key, or no row. refresh_ttl: a live item with a
-- TTL gets expires_at = now + its ttl_minutes (an expired one is never revived);
-- omit_expired: an expired item that the sweep has not deleted yet is not returned.
CREATE OR REPLACE FUNCTION cogdb.store_get(namespace_labels text[], item_key text,
                                           refresh_ttl boolean DEFAULT true,
                                           omit_expired boolean DEFAULT false)
    RETURNS TABLE (namespace text[], key text, value jsonb, created_at timestamptz,
                   updated_at timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_namespace text := cogdb.store_namespace(namespace_labels);
BEGIN
    IF refresh_ttl THEN
        UPDATE cogdb.store_items s SET expires_at = now() + s.ttl_minutes * interval '1 minute'
         WHERE s.namespace = v_namespace AND s.key = item_key AND s.expires_at > now();
    END IF;
    RETURN QUERY
    SELECT string_to_array(s.namespace, '.'), s.key, s.value, s.created_at, s.updated_at
      FROM cogdb.store_items s
     WHERE s.namespace = v_namespace AND s.key = item_key
       AND (NOT omit_expired OR s.expires_at IS NULL OR s.expires_at > now());
END
$$;

REVOKE ALL ON FUNCTION cogdb.store_get(text[], text, boolean, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.store_get(text[], text, boolean, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.store_get(text[], text, boolean, boolean) IS
    'The store item under this namespace and key (its TTL refreshed when asked), or no row.';
-- <<< sql/functions/store/store_get.sql

-- >>> sql/functions/store/store_ann_index_name.sql
-- The name of the partial HNSW index that serves one tenant's store vectors of one
-- dimension: store_vectors_ann_<24 hex of md5(tenant/dims)>. Deterministic, so search finds
-- it by name and maintenance plans it without a registry; hashed, so names do not spell out
-- tenant ids.
CREATE OR REPLACE FUNCTION cogdb.store_ann_index_name(tenant_id uuid, dims integer) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT 'store_vectors_ann_' || left(md5(tenant_id::text || '/' || dims::text), 24) $$;

REVOKE ALL ON FUNCTION cogdb.store_ann_index_name(uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.store_ann_index_name(uuid, integer) TO cogdb_app;
COMMENT ON FUNCTION cogdb.store_ann_index_name(uuid, integer) IS
    'The name of the partial HNSW index that serves one tenant''s store vectors of one dimension.';
-- <<< sql/functions/store/store_ann_index_name.sql

-- >>> sql/functions/store/store_search.sql
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
-- <<< sql/functions/store/store_search.sql

-- >>> sql/functions/store/store_list_namespaces.sql
-- The distinct namespaces of the tenant's store items that meet every match condition
-- ([{"match_type": "prefix"|"suffix", "path": [labels, '*' = any one label]}]), cut to
-- max_depth labels (then de-duplicated), sorted label by label in code point order, paged
-- by page_size (0-1000) and page_offset. omit_expired: namespaces whose items have all
-- expired are left out.
CREATE OR REPLACE FUNCTION cogdb.store_list_namespaces(match_conditions jsonb DEFAULT NULL,
                                                       max_depth integer DEFAULT NULL,
                                                       page_size integer DEFAULT 100,
                                                       page_offset integer DEFAULT 0,
                                                       omit_expired boolean DEFAULT false)
    RETURNS TABLE (namespace text[])
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    IF match_conditions IS NOT NULL AND (
           jsonb_typeof(match_conditions) <> 'array'
           OR EXISTS (SELECT FROM jsonb_array_elements(match_conditions) c
                       WHERE jsonb_typeof(c) <> 'object'
                          OR (c ->> 'match_type') IS DISTINCT FROM 'prefix'
                             AND (c ->> 'match_type') IS DISTINCT FROM 'suffix'
                          OR jsonb_typeof(c -> 'path') IS DISTINCT FROM 'array'
                          OR EXISTS (SELECT FROM jsonb_array_elements(c -> 'path') l
                                      WHERE jsonb_typeof(l) <> 'string'))) THEN
        RAISE EXCEPTION 'match_conditions must be a JSON array of {match_type: prefix or suffix, path: [labels]}'
            USING ERRCODE = 'CGV01', COLUMN = 'match_conditions',
                  HINT = 'e.g. ''[{"match_type": "prefix", "path": ["users", "*"]}]''';
    END IF;
    IF max_depth < 1 THEN
        RAISE EXCEPTION 'max_depth must be 1 or more, got %', max_depth
            USING ERRCODE = 'CGV01', COLUMN = 'max_depth', HINT = 'Leave it out for no limit.';
    END IF;
    IF page_size IS NULL OR page_size NOT BETWEEN 0 AND 1000
       OR page_offset IS NULL OR page_offset < 0 THEN
        RAISE EXCEPTION 'page_size must be between 0 and 1000 and page_offset 0 or more'
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN page_offset IS NULL OR page_offset < 0 THEN 'page_offset'
                                ELSE 'page_size' END,
                  HINT = 'Page through more with page_offset.';
    END IF;
    RETURN QUERY
    SELECT d.labels
      FROM (SELECT DISTINCT (string_to_array(s.namespace, '.'))[1:coalesce(max_depth, 2147483647)]
                   AS labels
              FROM cogdb.store_items s
             WHERE (NOT omit_expired OR s.expires_at IS NULL OR s.expires_at > now())
               AND cogdb.store_namespace_matches(string_to_array(s.namespace, '.'),
                                                 match_conditions)) d
     ORDER BY d.labels COLLATE "C"
     LIMIT page_size OFFSET page_offset;
END
$$;

REVOKE ALL ON FUNCTION cogdb.store_list_namespaces(jsonb, integer, integer, integer, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.store_list_namespaces(jsonb, integer, integer, integer, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.store_list_namespaces(jsonb, integer, integer, integer, boolean) IS
    'The distinct store namespaces that meet every prefix/suffix condition, cut to max_depth, sorted, paged.';
-- <<< sql/functions/store/store_list_namespaces.sql

-- >>> sql/functions/store/store_sweep.sql
-- Deletes the context tenant's expired store items (with their vectors); returns how many.
-- The LangGraph store calls it (its TTL sweeper); `cogdb maintain` sweeps every tenant
-- with store_sweep_all.
CREATE OR REPLACE FUNCTION cogdb.store_sweep() RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_deleted bigint;
BEGIN
    PERFORM cogdb.require_tenant('sweeping store items');
    DELETE FROM cogdb.store_items s
     WHERE s.tenant_id = cogdb.current_tenant_id() AND s.expires_at <= now();
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    RETURN v_deleted;
END
$$;

REVOKE ALL ON FUNCTION cogdb.store_sweep() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.store_sweep() TO cogdb_app;
COMMENT ON FUNCTION cogdb.store_sweep() IS
    'Deletes the context tenant''s expired store items (with their vectors); returns how many.';
-- <<< sql/functions/store/store_sweep.sql

-- >>> sql/functions/store/store_sweep_all.sql
-- Deletes the expired store items of every tenant, entering each tenant's context in turn
-- (FORCE RLS fences the owner too); returns how many. Owner-only: `cogdb maintain` runs it
-- as cogdb_owner. The caller's context is put back.
CREATE OR REPLACE FUNCTION cogdb.store_sweep_all() RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid;
    v_saved text[];
    v_deleted bigint;
    v_total bigint := 0;
BEGIN
    FOR v_tenant IN SELECT t.id FROM cogdb.tenants t ORDER BY t.id LOOP
        v_saved := cogdb.enter_tenant(v_tenant);
        DELETE FROM cogdb.store_items s WHERE s.tenant_id = v_tenant AND s.expires_at <= now();
        GET DIAGNOSTICS v_deleted = ROW_COUNT;
        v_total := v_total + v_deleted;
        PERFORM cogdb.restore_context(v_saved);
    END LOOP;
    RETURN v_total;
END
$$;

REVOKE ALL ON FUNCTION cogdb.store_sweep_all() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.store_sweep_all() IS
    'Deletes the expired store items of every tenant (owner-only, for `cogdb maintain`); returns how many.';
-- <<< sql/functions/store/store_sweep_all.sql

-- >>> sql/functions/store/plan_store_maintenance.sql
-- What `cogdb maintain` should do for the LangGraph store's vectors, in the shape of
-- plan_maintenance (model reads 'store:<dims>', memories is the tenant's vector count):
--   drop_invalid  an index left invalid by an interrupted build, dropped first
--   create        a tenant/dimension with at least search.ann_min_rows vectors and no index
--   drop_unneeded an index whose tenant/dimension fell below half of search.ann_min_rows
-- Sizes are counted here, tenant by tenant in each tenant's context (FORCE RLS fences the
-- owner too), from the primary key. Owner-only, like plan_maintenance.
CREATE OR REPLACE FUNCTION cogdb.plan_store_maintenance()
    RETURNS TABLE (step integer, action text, index_name text, tenant_id uuid, model text,
                   memories bigint, statement text)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_tenant uuid;
    v_saved text[];
    v_sizes jsonb := '[]';
    v_min bigint := cogdb.int_setting('search.ann_min_rows');
BEGIN
    FOR v_tenant IN SELECT t.id FROM cogdb.tenants t ORDER BY t.id LOOP
        v_saved := cogdb.enter_tenant(v_tenant);
        v_sizes := v_sizes || coalesce(
            (SELECT jsonb_agg(jsonb_build_object('tenant', v_tenant, 'dims', c.dims, 'n', c.n))
               FROM (SELECT v.dims, count(*) AS n FROM cogdb.store_vectors v
                      WHERE v.tenant_id = v_tenant GROUP BY v.dims) c), '[]');
        PERFORM cogdb.restore_context(v_saved);
    END LOOP;
    RETURN QUERY
    WITH sizes AS (
        SELECT (e ->> 'tenant')::uuid AS tenant_id, (e ->> 'dims')::integer AS dims,
               (e ->> 'n')::bigint AS n,
               cogdb.store_ann_index_name((e ->> 'tenant')::uuid, (e ->> 'dims')::integer) AS name
          FROM jsonb_array_elements(v_sizes) e
    ), indexes AS (
        SELECT ic.relname::text AS name, i.indisvalid AS valid
          FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
         WHERE i.indrelid = 'cogdb.store_vectors'::regclass
           AND ic.relname LIKE 'store\_vectors\_ann\_%'
    ), actions AS (
        SELECT 1 AS rank, 'drop_invalid' AS action, x.name, s.tenant_id, s.dims, s.n
          FROM indexes x LEFT JOIN sizes s ON s.name = x.name
         WHERE NOT x.valid
        UNION ALL
        SELECT 2, 'create', s.name, s.tenant_id, s.dims, s.n
          FROM sizes s
         WHERE s.n >= v_min AND NOT EXISTS (SELECT FROM indexes x WHERE x.name = s.name AND x.valid)
        UNION ALL
        SELECT 3, 'drop_unneeded', x.name, s.tenant_id, s.dims, coalesce(s.n, 0)
          FROM indexes x LEFT JOIN sizes s ON s.name = x.name
         WHERE x.valid AND coalesce(s.n, 0) < v_min / 2
    )
    SELECT (row_number() OVER (ORDER BY a.rank, a.n DESC NULLS LAST, a.name))::integer,
           a.action, a.name, a.tenant_id, 'store:' || a.dims, a.n,
           CASE WHEN a.action = 'create' THEN
               format('CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON cogdb.store_vectors'
                      ' USING hnsw ((embedding::public.vector(%s)) public.vector_cosine_ops)'
                      ' WITH (m = %s, ef_construction = %s)'
                      ' WHERE tenant_id = %L::uuid AND dims = %s',
                      a.name, a.dims, cogdb.int_setting('search.hnsw_m'),
                      cogdb.int_setting('search.hnsw_ef_construction'), a.tenant_id, a.dims)
           ELSE format('DROP INDEX CONCURRENTLY IF EXISTS cogdb.%I', a.name) END
      FROM actions a;
END
$$;

REVOKE ALL ON FUNCTION cogdb.plan_store_maintenance() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.plan_store_maintenance() IS
    'The steps cogdb maintain runs for store vectors: drop invalid ANN indexes, create those large tenants need, drop those no longer needed.';
-- <<< sql/functions/store/plan_store_maintenance.sql

RESET ROLE;
