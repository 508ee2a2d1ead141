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
    v_bad bigint;
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
    -- Each vector is one cosine search could rank (NULL, zero, under- or overflowing ones are
    -- refused by cogdb.check_vector, naming its position).
    SELECT e.ord INTO v_bad FROM unnest(embeddings) WITH ORDINALITY AS e(v, ord)
     WHERE cogdb.vector_usable(e.v) IS NOT TRUE ORDER BY e.ord LIMIT 1;
    IF v_bad IS NOT NULL THEN
        PERFORM cogdb.check_vector(embeddings[v_bad], format('embeddings[%s]', v_bad));
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

    -- Items first: the upsert locks each written item (waiting for a concurrent put of the
    -- same key to commit), so the vectors' DELETE below, a later statement with a newer
    -- snapshot, sees and removes that put's vectors before this one inserts its own (deleting
    -- them first raced: two puts of one key both inserted vectors, 23505). Deleted items take
    -- their vectors with them (ON DELETE CASCADE).
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
    DELETE FROM cogdb.store_vectors v
     USING unnest(v_namespaces, v_keys, v_values) AS i(namespace, key, value)
     WHERE i.value IS NOT NULL AND v.namespace = i.namespace AND v.key = i.key;
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
