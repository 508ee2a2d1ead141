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
