-- The tenant an admin's definer function acts on: tenant_id parsed (CGV01 naming the field)
-- and registered, else CGN01 with where to look. One rule for retention's admin functions;
-- runs with its caller's rights (they are definer functions of the owner, who reads every
-- tenant's row of cogdb.tenants).
CREATE OR REPLACE FUNCTION cogdb.known_tenant(tenant_id text) RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
BEGIN
    IF v_tenant IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
    RETURN v_tenant;
END
$$;

REVOKE ALL ON FUNCTION cogdb.known_tenant(text) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.known_tenant(text) IS
    'The registered tenant an admin function acts on, or CGV01/CGN01 naming tenant_id.';
