-- The tenant of the current context, or the CGA01 refusal "no tenant context: <action>
-- needs one" for a write attempted without one (reads without a context see nothing
-- instead). `action` says what was attempted, e.g. 'writing memories'.
CREATE OR REPLACE FUNCTION cogdb.require_tenant(action text) RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
BEGIN
    IF v_tenant IS NULL THEN
        RAISE EXCEPTION 'no tenant context: % needs one', action
            USING ERRCODE = 'CGA01',
                  HINT = 'Call cogdb.set_context(tenant, user) first in the transaction.';
    END IF;
    RETURN v_tenant;
END
$$;

REVOKE ALL ON FUNCTION cogdb.require_tenant(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.require_tenant(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.require_tenant(text) IS
    'The tenant of the current context, or the CGA01 refusal of a write attempted without one.';
