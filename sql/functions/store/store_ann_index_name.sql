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
