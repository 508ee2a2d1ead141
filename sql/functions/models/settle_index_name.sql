-- The name of the HNSW index over one tenant's side vectors of one model in
-- cogdb.memory_embeddings, which search reads while a migration to that model settles
-- (docs/scale-out.md "Re-embedding without downtime"): memory_embeddings_ann_<24 hex>.
-- Deterministic, so search finds it by name (a catalog cache lookup); hashed, so names do not
-- spell out tenant ids; salted apart from ann_index_name.
CREATE OR REPLACE FUNCTION cogdb.settle_index_name(tenant_id uuid, model text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT 'memory_embeddings_ann_' || left(md5('side/' || tenant_id::text || '/' || model), 24) $$;

REVOKE ALL ON FUNCTION cogdb.settle_index_name(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.settle_index_name(uuid, text) TO cogdb_app, cogdb_admin;
COMMENT ON FUNCTION cogdb.settle_index_name(uuid, text) IS
    'The name of the HNSW index over one tenant''s side vectors of one model (memory_embeddings), read by search while a migration settles.';
