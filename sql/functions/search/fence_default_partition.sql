-- Step 2 of a promotion (cogdb maintain), in a transaction of its own: with `fenced`, adds
-- the constraint memories_default_not_<hash> CHECK (tenant_id <> tenant) NOT VALID to the
-- DEFAULT partition. Adding it holds an ACCESS EXCLUSIVE lock for a moment (maintain sets a
-- lock_timeout and retries); once validated, it lets ATTACH skip scanning the DEFAULT
-- partition under that lock. Without `fenced`, removes it (after a promotion that failed).
CREATE OR REPLACE FUNCTION cogdb.fence_default_partition(tenant_id uuid, fenced boolean)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_fence text := 'memories_default_not_' || left(md5(fence_default_partition.tenant_id::text), 16);
    v_exists boolean := EXISTS (SELECT FROM pg_constraint k
                                 WHERE k.conrelid = 'cogdb.memories_default'::regclass
                                   AND k.conname = v_fence);
BEGIN
    IF fenced AND NOT v_exists THEN
        EXECUTE format('ALTER TABLE cogdb.memories_default ADD CONSTRAINT %I'
                       ' CHECK (tenant_id <> %L::uuid) NOT VALID',
                       v_fence, fence_default_partition.tenant_id);
    ELSIF NOT fenced AND v_exists THEN
        EXECUTE format('ALTER TABLE cogdb.memories_default DROP CONSTRAINT %I', v_fence);
    END IF;
END
$$;

REVOKE ALL ON FUNCTION cogdb.fence_default_partition(uuid, boolean) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.fence_default_partition(uuid, boolean) IS
    'Step 2 of a promotion: adds (or removes) the NOT VALID constraint that keeps a tenant out of the DEFAULT partition.';
