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
