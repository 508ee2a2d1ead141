-- The partition of cogdb.memories that holds one tenant's rows: its own (partition_name) once
-- `cogdb maintain` promoted it, else memories_default. The model migration's definer
-- functions read a tenant's memories there, as the owner (a partition's row security is
-- enabled but not forced): every user's memories, private ones included, which the parent's
-- policies would show only to their owners. Writes still go through the parent.
CREATE OR REPLACE FUNCTION cogdb.memories_partition(tenant_id uuid) RETURNS text
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN to_regclass(format('cogdb.%I', cogdb.partition_name(tenant_id))) IS NULL
                THEN 'memories_default' ELSE cogdb.partition_name(tenant_id) END
$$;

REVOKE ALL ON FUNCTION cogdb.memories_partition(uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.memories_partition(uuid) IS
    'The partition of cogdb.memories holding one tenant''s rows: its own once promoted, else memories_default.';
