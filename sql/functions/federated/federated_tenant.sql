-- The context's tenant, if it may take part in federated insights: a context (else CGA01)
-- whose tenant is at isolation_level 'federated' (else CGF01 naming isolation_level). Reads
-- the tenant's own row as its caller (the definer functions run it as the owner, inside the
-- caller's context). `action` says what was attempted.
CREATE OR REPLACE FUNCTION cogdb.federated_tenant(action text) RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid := cogdb.require_tenant(action);
    v_level text;
BEGIN
    SELECT t.isolation_level INTO v_level FROM cogdb.tenants t WHERE t.id = v_tenant;
    IF v_level IS DISTINCT FROM 'federated' THEN
        RAISE EXCEPTION '% needs a tenant at isolation_level federated; this tenant is %',
                        action, coalesce(v_level, 'unknown')
            USING ERRCODE = 'CGF01', COLUMN = 'isolation_level',
                  HINT = 'An administrator sets the level when creating the tenant '
                         '(cogdb tenant create --isolation-level federated).';
    END IF;
    RETURN v_tenant;
END
$$;

REVOKE ALL ON FUNCTION cogdb.federated_tenant(text) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.federated_tenant(text) IS
    'The context''s tenant if it is at isolation_level federated, else CGA01 (no context) or CGF01 naming isolation_level.';
