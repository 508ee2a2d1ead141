-- The name of the HNSW index that serves one tenant's memories of one model, on the tenant's
-- partition (partition_name): memories_ann_<24 hex of md5(tenant/model)>. Deterministic, so
-- search finds it by name and maintain plans it without a registry; hashed, so names do not
-- spell out tenant ids.
CREATE OR REPLACE FUNCTION cogdb.ann_index_name(tenant_id uuid, model text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT 'memories_ann_' || left(md5(tenant_id::text || '/' || model), 24) $$;

REVOKE ALL ON FUNCTION cogdb.ann_index_name(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.ann_index_name(uuid, text) TO cogdb_app, cogdb_admin;
COMMENT ON FUNCTION cogdb.ann_index_name(uuid, text) IS
    'The name of the HNSW index that serves one tenant''s memories of one model, on the tenant''s partition.';
