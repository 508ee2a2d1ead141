-- The name of the partition of cogdb.memories that holds one promoted tenant's memories:
-- memories_p_<16 hex of md5(tenant)>. Deterministic, so maintain finds it without a registry;
-- hashed, so names do not spell out tenant ids (the partition bound, in pg_class, does).
CREATE OR REPLACE FUNCTION cogdb.partition_name(tenant_id uuid) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT 'memories_p_' || left(md5(tenant_id::text), 16) $$;

REVOKE ALL ON FUNCTION cogdb.partition_name(uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.partition_name(uuid) IS
    'The name of the partition of cogdb.memories that holds one promoted tenant''s memories.';
