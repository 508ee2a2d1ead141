-- Deletes the memory with this id if the caller may see it; true if a row was deleted.
-- An invisible id returns false, exactly like a missing one.
CREATE OR REPLACE FUNCTION cogdb.forget(id text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF cogdb.current_tenant_id() IS NULL THEN
        RAISE EXCEPTION 'no tenant context: forgetting a memory needs one'
            USING ERRCODE = 'CGA01',
                  HINT = 'Call cogdb.set_context(tenant, user) first in the transaction.';
    END IF;
    DELETE FROM cogdb.memories m WHERE m.id = forget.id;
    RETURN FOUND;
END
$$;

REVOKE ALL ON FUNCTION cogdb.forget(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.forget(text) TO cogdb_app;
